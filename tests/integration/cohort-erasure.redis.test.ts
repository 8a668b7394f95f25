import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { MemoryAuditLog } from '../../src/adapters/memory/audit-log.memory';
import { MemoryBatchStore } from '../../src/adapters/memory/batch-store.memory';
import { MemoryRecommendationStore } from '../../src/adapters/memory/recommendation-store.memory';
import { MemoryAnswerCache } from '../../src/adapters/memory/answer-cache.memory';
import { MemoryPredictionCache } from '../../src/adapters/memory/prediction-cache.memory';
import { MemoryPredictionLog } from '../../src/adapters/memory/prediction-log.memory';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { RedisCohortStore } from '../../src/adapters/redis/cohort-store.redis';
import { sha256 } from '../../src/adapters/crypto/hashing';
import { eraseStudent, type ComplianceDeps } from '../../src/domain/compliance/compliance';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import { shippedCurricula } from '../support/curriculum';
import { FixedClock } from '../support/fixed-clock';
import { requireService, uniqueId } from '../support/services';
import { memoryStore, testPseudonymize } from '../support/stores';

/** Two replicas, each with its own connection, erasing students of one cohort at the same time. */
const url = requireService('REDIS_URL');
const clients = [createRedisClient(url, 2000), createRedisClient(url, 2000)];
beforeAll(() => Promise.all(clients.map((c) => waitUntilReady(c, 5000))));
afterAll(() => Promise.all(clients.map((c) => c.quit())));

function replica(i: number, clock: FixedClock): ComplianceDeps {
  return {
    store: memoryStore(clock),
    clock,
    curricula: shippedCurricula(),
    policy: { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] },
    consentByDefault: true,
    eventWindow: { maxSkewMs: 300_000, idempotencyRetentionMs: 7 * DAY_MS },
    cohorts: new RedisCohortStore(clients[i]!, { ttlSeconds: 3600, erasureRetentionSeconds: 3600, pseudonymize: testPseudonymize }),
    audit: new MemoryAuditLog({ sha256, clock, retentionMs: DAY_MS }),
    recommendations: new MemoryRecommendationStore({ cacheTtlMs: DAY_MS, retentionMs: DAY_MS, maxRecords: 10, erasureRetentionMs: DAY_MS, pseudonymize: testPseudonymize }),
    pseudonymize: testPseudonymize,
    predictionCache: new MemoryPredictionCache({ clock, ttlMs: 3600_000, pseudonymize: testPseudonymize }),
    predictionLog: new MemoryPredictionLog({ clock, retentionDays: 60, pseudonymize: testPseudonymize }),
    answerCaches: [new MemoryAnswerCache({ clock, maxEntries: 8, ttlMs: 3600_000, pseudonymize: testPseudonymize })],
    batches: new MemoryBatchStore({ clock, ttlMs: 7 * DAY_MS, pseudonymize: testPseudonymize }),
  };
}

describe('cohort rosters under concurrent erasures', () => {
  test('twenty students of one cohort erased at once through two replicas: none is left on the roster', async () => {
    const clock = new FixedClock(Date.now());
    const replicas = [replica(0, clock), replica(1, clock)];
    const tenantId = uniqueId('tenant');
    const students = Array.from({ length: 20 }, (_, i) => `s${i}`);
    await replicas[0]!.cohorts.put({ tenantId, cohortId: 'c1', name: 'c1', teacherIds: ['t1'], studentIds: [...students, 'stays'] }, clock.now());
    await Promise.all(students.map((studentId, i) => eraseStudent(replicas[i % 2]!, { tenantId, studentId })));
    expect((await replicas[1]!.cohorts.get(tenantId, 'c1'))?.studentIds).toEqual(['stays']);
  });
});
