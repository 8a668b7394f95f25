import { describe, expect, test } from 'bun:test';
import { LEASE_SHARE, leaseSize, MAX_LEASE } from '../../src/domain/access/fixed-window';

describe('the rate limiter lease size', () => {
  test('takes a sixteenth of what is left of the quota, capped', () => {
    expect(leaseSize(1_000, 0)).toBe(Math.floor(1_000 / LEASE_SHARE));
    expect(leaseSize(1_000_000, 0)).toBe(MAX_LEASE);
  });

  test('shrinks as the quota runs out, to one hit at a time near and past the limit', () => {
    expect(leaseSize(1_000, 900)).toBe(6);
    expect(leaseSize(1_000, 990)).toBe(1);
    expect(leaseSize(50, 0)).toBe(3);
    expect(leaseSize(5, 0)).toBe(1);
    expect(leaseSize(5, 9)).toBe(1);
  });
});
