import type { MasteryStore, StudentRef } from '../../ports/mastery-store.port';
import type { MasteryUpdate, MasteryUpdates } from '../../ports/mastery-updates.port';

/**
 * How far apart two replicas' clocks may be when one compares its own apply time with another's
 * erasure time. An erasure within this much before our applies costs one spare tombstone; one
 * after them is never missed.
 */
export const REPLICA_CLOCK_MARGIN_MS = 1000;

/**
 * Publishes updates so that none outlives an erasure. Another replica can erase a student between
 * this replica's apply and its publish, and its tombstone can reach the topic first: a compacted
 * topic would then keep the erased student's mastery for good. So, after publishing, every student
 * whose latest erasure is at or after `appliedFrom` (the clock before the applies) gets one more
 * tombstone behind our updates, and the last record under the key is the erasure. An erasure that
 * reads its marker only after our check publishes its own tombstone after our updates anyway.
 * Rejects when the publish or the check fails: the caller retries the whole announcement.
 */
export async function announce(deps: { store: MasteryStore; updates: MasteryUpdates }, updates: readonly MasteryUpdate[], appliedFrom: number): Promise<void> {
  if (updates.length === 0) return;
  await deps.updates.publish(updates);
  const students = new Map<string, StudentRef>();
  for (const u of updates) students.set(`${u.tenantId}/${u.studentId}`, { tenantId: u.tenantId, studentId: u.studentId });
  const erasedSince = await deps.store.erasedSince([...students.values()], appliedFrom - REPLICA_CLOCK_MARGIN_MS);
  for (const ref of erasedSince) await deps.updates.publishErasure(ref);
}
