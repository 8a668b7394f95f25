import { createHash, createHmac } from 'node:crypto';
import type { Sha256 } from '../../domain/audit';

export const sha256: Sha256 = (data) => createHash('sha256').update(data).digest('hex');

/**
 * Student ids become keyed-hash pseudonyms wherever an id must outlive the data or should not
 * appear (audit targets, erasure tombstones, Redis key names). Without the key the pseudonym
 * cannot be linked back to the id; with it, the service can find "the same student" again.
 */
export function createPseudonymizer(key: string) {
  return (tenantId: string, studentId: string): string => createHmac('sha256', key).update(`${tenantId}/${studentId}`).digest('base64url').slice(0, 32);
}

export type Pseudonymize = ReturnType<typeof createPseudonymizer>;
