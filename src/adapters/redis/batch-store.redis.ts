import { ERROR_SAMPLE_SIZE, type BatchPriority, type BatchRecord, type ChunkOutcome, type ErrorGroup, type StudentResult } from '../../domain/batch/batch';
import { parseCursor, type BatchStore, type ChunkCount, type ChunkStart, type ResultPage } from '../../ports/batch-store.port';
import batchCancelScript from './batch-cancel.lua' with { type: 'text' };
import batchForgetScript from './batch-forget.lua' with { type: 'text' };
import batchIndexScript from './batch-index.lua' with { type: 'text' };
import batchRecordScript from './batch-record.lua' with { type: 'text' };
import batchStartScript from './batch-start.lua' with { type: 'text' };
import { execChecked, guard } from './guard';
import { batchIndexKey, batchKeys } from './keys';
import type { RedisClient } from './client';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';

type RedisWithScripts = RedisClient & {
  batchStart: (meta: string, now: number) => Promise<number>;
  batchRecord: (meta: string, done: string, results: string, erased: string, ...args: (string | number)[]) => Promise<number[]>;
  batchCancel: (meta: string, now: number) => Promise<number>;
  batchIndex: (index: string, batchId: string, expiresAt: number, now: number) => Promise<number>;
  batchForget: (meta: string, results: string, erased: string, studentId: string, pseudonym: string) => Promise<number>;
};

const optionalNumber = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

/** The record from its hash (HGETALL), or undefined for a missing one. */
function decodeRecord(h: Record<string, string>): BatchRecord | undefined {
  if (h.batchId === undefined) return undefined;
  const errors: ErrorGroup[] = Object.keys(h)
    .filter((f) => f.startsWith('err:'))
    .map((f) => {
      const code = f.slice(4);
      return { code, count: Number(h[f]), studentIds: (h[`errs:${code}`] ?? '').split(',').filter((id) => id.length > 0) };
    })
    .sort((a, b) => (a.code < b.code ? -1 : 1));
  const startedAt = optionalNumber(h.startedAt);
  const finishedAt = optionalNumber(h.finishedAt);
  const cancelledAt = optionalNumber(h.cancelledAt);
  return {
    batchId: h.batchId,
    tenantId: h.tenantId!,
    priority: h.priority as BatchPriority,
    ...(h.topicIds ? { topicIds: JSON.parse(h.topicIds) as string[] } : {}),
    total: Number(h.total),
    chunks: Number(h.chunks),
    processed: Number(h.processed),
    succeeded: Number(h.succeeded),
    failed: Number(h.failed),
    errors,
    createdAt: Number(h.createdAt),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(cancelledAt !== undefined ? { cancelledAt } : {}),
    requestedBy: h.requestedBy!,
  };
}

/**
 * BatchStore on Redis, shared by every replica. Each batch is one hash (record and counts), a set of
 * counted chunk ids and a list of results, all under one hash tag; every change is one Lua script
 * over exactly those keys, so counting a chunk is atomic and idempotent whichever replica does it.
 * A per-tenant index (a sorted set by expiry, in the tenant's own slot) lists the batches, so an
 * erasure reaches each live one; it is written before the batch, so no batch exists unlisted.
 * Nothing is cached in the process: every read goes to Redis.
 */
export class RedisBatchStore implements BatchStore {
  private readonly redis: RedisWithScripts;

  constructor(
    redis: RedisClient,
    private readonly opts: { ttlMs: number; pseudonymize: Pseudonymizer },
  ) {
    redis.defineCommand('batchStart', { numberOfKeys: 1, lua: batchStartScript });
    redis.defineCommand('batchRecord', { numberOfKeys: 4, lua: batchRecordScript });
    redis.defineCommand('batchCancel', { numberOfKeys: 1, lua: batchCancelScript });
    redis.defineCommand('batchIndex', { numberOfKeys: 1, lua: batchIndexScript });
    redis.defineCommand('batchForget', { numberOfKeys: 3, lua: batchForgetScript });
    this.redis = redis as RedisWithScripts;
  }

  create(r: BatchRecord): Promise<void> {
    return guard(async () => {
      const { meta } = batchKeys(r.tenantId, r.batchId);
      const fields: Record<string, string | number> = {
        batchId: r.batchId,
        tenantId: r.tenantId,
        priority: r.priority,
        total: r.total,
        chunks: r.chunks,
        processed: r.processed,
        succeeded: r.succeeded,
        failed: r.failed,
        createdAt: r.createdAt,
        requestedBy: r.requestedBy,
        ...(r.topicIds ? { topicIds: JSON.stringify(r.topicIds) } : {}),
      };
      // The expiry counts from creation (BATCH_TTL_DAYS), whatever the clock of Redis says.
      const expiresAt = r.createdAt + this.opts.ttlMs;
      // The index is in another slot than the batch (Redis Cluster): its own transaction, first.
      await this.redis.batchIndex(batchIndexKey(r.tenantId), r.batchId, expiresAt, r.createdAt);
      await execChecked(this.redis.multi().hset(meta, fields).pexpireat(meta, expiresAt));
    });
  }

  get(tenantId: string, batchId: string): Promise<BatchRecord | undefined> {
    return guard(async () => decodeRecord(await this.redis.hgetall(batchKeys(tenantId, batchId).meta)));
  }

  startChunk(tenantId: string, batchId: string, at: number): Promise<ChunkStart> {
    return guard(async () => {
      const code = Number(await this.redis.batchStart(batchKeys(tenantId, batchId).meta, at));
      if (code < 0) return { kind: 'unknown' };
      if (code === 0) return { kind: 'cancelled' };
      return { kind: 'run', firstStart: code === 2 };
    });
  }

  recordChunk(tenantId: string, batchId: string, chunkId: number, outcome: ChunkOutcome, at: number): Promise<ChunkCount> {
    return guard(async () => {
      const k = batchKeys(tenantId, batchId);
      const [code, finished] = (await this.redis.batchRecord(
        k.meta,
        k.done,
        k.results,
        k.erased,
        chunkId,
        at,
        ERROR_SAMPLE_SIZE,
        outcome.results.length,
        outcome.failures.length,
        ...outcome.results.map((r) => JSON.stringify(r)),
        ...outcome.results.map((r) => this.opts.pseudonymize(tenantId, r.studentId)),
        ...outcome.failures.flatMap((f) => [f.code, f.studentId, this.opts.pseudonymize(tenantId, f.studentId)]),
      )).map(Number);
      if (code! < 0) return { kind: 'unknown' };
      if (code === 0) return { kind: 'repeat' };
      const record = decodeRecord(await this.redis.hgetall(k.meta));
      return record ? { kind: 'counted', record, finishedNow: finished === 1 } : { kind: 'unknown' };
    });
  }

  cancel(tenantId: string, batchId: string, at: number): Promise<BatchRecord | undefined> {
    return guard(async () => {
      const { meta } = batchKeys(tenantId, batchId);
      if (Number(await this.redis.batchCancel(meta, at)) === 0) return undefined;
      return decodeRecord(await this.redis.hgetall(meta));
    });
  }

  results(tenantId: string, batchId: string, cursor: string | undefined, limit: number): Promise<ResultPage | undefined> {
    return guard(async () => {
      const from = cursor === undefined ? 0 : parseCursor(cursor);
      const k = batchKeys(tenantId, batchId);
      if (from === undefined) return undefined;
      // One more than asked tells whether there is a next page.
      const [exists, raw] = await Promise.all([this.redis.exists(k.meta), this.redis.lrange(k.results, from, from + limit)]);
      if (exists === 0) return undefined;
      // An empty entry is an erased student's result (batch-forget.lua).
      const items = raw
        .slice(0, limit)
        .filter((s) => s !== '')
        .map((s) => JSON.parse(s) as StudentResult);
      return raw.length > limit ? { items, nextCursor: String(from + limit) } : { items };
    });
  }

  forgetStudent(tenantId: string, studentId: string, at: number): Promise<void> {
    return guard(async () => {
      const live = await this.redis.zrangebyscore(batchIndexKey(tenantId), at, '+inf');
      // One script per batch, on that batch's own keys (one slot each).
      for (const batchId of live) {
        const k = batchKeys(tenantId, batchId);
        await this.redis.batchForget(k.meta, k.results, k.erased, studentId, this.opts.pseudonymize(tenantId, studentId));
      }
    });
  }
}
