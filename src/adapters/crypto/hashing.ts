import { createHmac } from 'node:crypto';
import { StudentLru } from '../memory/student-lru';
import type { Sha256 } from '../../domain/compliance/audit';

/** One call into Bun's native SHA-256: half the CPU of node:crypto's createHash, which builds a Hash object per call (0.30 against 0.60 µs for a 300-byte audit entry). */
export const sha256: Sha256 = (data) => Bun.SHA256.hash(data, 'hex');

/**
 * Student ids become keyed-hash pseudonyms wherever an id must outlive the data or should not
 * appear (audit targets, erasure tombstones, Redis key names). Without the key the pseudonym
 * cannot be linked back to the id; with it, the service can find "the same student" again.
 */
export function createPseudonymizer(key: string, cacheSize = 50_000) {
  // An HMAC costs about a tenth of an event's apply; the same students come back again and again.
  const memo = new StudentLru<string>(cacheSize);
  return (tenantId: string, studentId: string): string => {
    const kept = memo.get(tenantId, studentId);
    if (kept !== undefined) return kept;
    const pseudonym = createHmac('sha256', key).update(`${tenantId}/${studentId}`).digest('base64url').slice(0, 32);
    memo.set(tenantId, studentId, pseudonym);
    return pseudonym;
  };
}

export type Pseudonymize = ReturnType<typeof createPseudonymizer>;
