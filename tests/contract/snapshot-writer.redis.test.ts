import { afterAll, beforeAll } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { RedisMasteryStore } from '../../src/adapters/redis/mastery-store.redis';
import { requireService } from '../support/services';
import { redisStoreOptions } from '../support/stores';
import { describeSnapshotWriterContract } from './snapshot-writer.contract';

const clients = [createRedisClient(requireService('REDIS_URL'), 1000), createRedisClient(requireService('REDIS_URL'), 1000)] as const;
beforeAll(() => Promise.all(clients.map((c) => waitUntilReady(c, 5000))));
afterAll(() => Promise.all(clients.map((c) => c.quit())));

describeSnapshotWriterContract('redis', () => new RedisMasteryStore(clients[0], redisStoreOptions), () => new RedisMasteryStore(clients[1], redisStoreOptions));
