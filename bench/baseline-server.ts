/**
 * The floor bench/api.ts measures the service against: a bare Elysia route doing one Redis GET.
 * `POST /baseline {student_id}` reads `${BASELINE_PREFIX}${student_id}`, which bench/api.ts fills
 * with that student's real mastery response, and returns it as JSON. No auth, rate limit, logging,
 * metrics or schema checks: only framework, body parse, one round trip and serialisation.
 * Env: PORT, REDIS_URL, BASELINE_PREFIX.
 */
import { Elysia } from 'elysia';
import { createRedisClient, waitUntilReady } from '../src/adapters/redis/client';

const port = Number(process.env.PORT ?? 0);
const prefix = process.env.BASELINE_PREFIX ?? 'bench:baseline:';
const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error('REDIS_URL is required');

// The service's client options (command timeout, auto-pipelining), so both sides talk to Redis alike.
const redis = createRedisClient(redisUrl, 500);
await waitUntilReady(redis, 5000);

const app = new Elysia()
  .get('/health', () => 'ok')
  .post('/baseline', async ({ body, set }) => {
    const raw = await redis.get(prefix + (body as { student_id: string }).student_id);
    if (raw === null) {
      set.status = 404;
      return { error: 'missing' };
    }
    return JSON.parse(raw) as unknown;
  })
  .listen({ hostname: '127.0.0.1', port });

console.log(`baseline listening on ${app.server?.port}`);

const stop = async () => {
  await app.stop(true);
  await redis.quit().catch(() => redis.disconnect());
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
