import { describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { createPseudonymizer } from '../../src/adapters/crypto/hashing';

describe('pseudonyms', () => {
  test('are a keyed hash of tenant and student: stable, distinct, and not the id', () => {
    const p = createPseudonymizer('k'.repeat(32));
    expect(p('t', 's1')).toBe(p('t', 's1'));
    expect(p('t', 's1')).not.toBe(p('t', 's2'));
    expect(p('t', 's1')).not.toBe(p('u', 's1'));
    expect(p('t', 's1')).toBe(createHmac('sha256', 'k'.repeat(32)).update('t/s1').digest('base64url').slice(0, 32));
    expect(p('t', 's1')).not.toContain('s1');
  });

  test('depend on the key', () => {
    expect(createPseudonymizer('a'.repeat(32))('t', 's')).not.toBe(createPseudonymizer('b'.repeat(32))('t', 's'));
  });

  test('stay correct when the memo is full, across tenants', () => {
    const p = createPseudonymizer('k'.repeat(32), 2);
    const fresh = createPseudonymizer('k'.repeat(32));
    const calls: [string, string][] = [['t', 'a'], ['t', 'b'], ['u', 'a'], ['t', 'c'], ['u', 'b'], ['t', 'a'], ['u', 'a'], ['t', 'b']];
    for (const [tenant, student] of calls) expect(p(tenant, student)).toBe(fresh(tenant, student));
    expect(p('t', 'a')).not.toBe(p('u', 'a'));
    const none = createPseudonymizer('k'.repeat(32), 0);
    for (const [tenant, student] of calls) expect(none(tenant, student)).toBe(fresh(tenant, student));
  });
});
