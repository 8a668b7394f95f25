import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Cluster } from 'ioredis';
import { studentKeys, studentTag } from '../../src/adapters/redis/keys';
import { ingestOneLessonAndRead, productionEnv } from '../support/http';
import { clusterClients, startPrivateCluster } from '../support/redis-cluster';
import { startService, type RunningService } from '../support/service-process';
import { requireService, uniqueId } from '../support/services';
import { testPseudonymize } from '../support/stores';

const env = { STATE_BACKEND: 'redis', REDIS_MODE: 'cluster', ...productionEnv };

describe('the service with REDIS_MODE=cluster', () => {
  let service: RunningService;
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = (await clusterClients(1))[0]!;
    service = await startService({ ...env, REDIS_URL: requireService('REDIS_CLUSTER_URL') });
  });
  afterAll(async () => {
    await service.stop('SIGKILL');
    await cluster.quit();
  });

  test('ingests an event and serves the mastery; the state lands on the cluster under the student’s tag', async () => {
    const tenant = uniqueId('t');
    const studentId = uniqueId('s');
    const data = await ingestOneLessonAndRead(service.url, tenant, studentId);
    expect(data?.topics[0]).toMatchObject({ topic_id: 'functions', event_count: 1 });
    const keys = studentKeys(studentTag(tenant, testPseudonymize(tenant, studentId)));
    expect(await cluster.exists(keys.topics, keys.history, keys.events)).toBe(3);
  });

  test('/ready reports redis up', async () => {
    const res = await fetch(`${service.url}/ready`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { dependencies: Record<string, { status: string }> }).dependencies.redis!.status).toBe('up');
  });
});

test('with one master of the cluster frozen, /ready turns 503, and 200 again once it answers', async () => {
  // A cluster of this test's own: freezing a master of the shared one would stall other suites.
  const cluster = await startPrivateCluster();
  const service = await startService({ ...env, REDIS_URL: cluster.url, REDIS_COMMAND_TIMEOUT_MS: '300' });
  const ready = async () => (await fetch(`${service.url}/ready`)).status;
  try {
    expect(await ready()).toBe(200);
    // The last master: the others still answer, so only a probe of every master sees it.
    cluster.nodes[2]!.proc.kill('SIGSTOP');
    try {
      expect(await ready()).toBe(503);
    } finally {
      cluster.nodes[2]!.proc.kill('SIGCONT');
    }
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await Bun.sleep(100);
      status = await ready();
    }
    expect(status).toBe(200);
  } finally {
    await service.stop('SIGKILL');
    await cluster.stop();
  }
}, 60_000);
