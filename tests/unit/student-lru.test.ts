import { describe, expect, test } from 'bun:test';
import { StudentLru } from '../../src/adapters/memory/student-lru';

const kept = (lru: StudentLru<string>, ids: [string, string][]) => ids.filter(([t, s]) => lru.peek(t, s) !== undefined);

describe('StudentLru', () => {
  test('drops the least recently used student across tenants, a hit making a student the most recent', () => {
    const lru = new StudentLru<string>(2);
    lru.set('t', 'a', 'ta');
    lru.set('u', 'b', 'ub');
    expect(lru.get('t', 'a')).toBe('ta');
    lru.set('t', 'c', 'tc');
    // u/b was used least recently, though t is the older tenant.
    expect(kept(lru, [['t', 'a'], ['u', 'b'], ['t', 'c']])).toEqual([['t', 'a'], ['t', 'c']]);
    expect(lru.get('u', 'b')).toBeUndefined();
  });

  test('peek leaves the order as it is; set on a kept student replaces its value and makes it the most recent', () => {
    const lru = new StudentLru<string>(2);
    lru.set('t', 'a', '1');
    lru.set('t', 'b', '2');
    expect(lru.peek('t', 'a')).toBe('1');
    lru.set('t', 'c', '3');
    expect(kept(lru, [['t', 'a'], ['t', 'b'], ['t', 'c']])).toEqual([['t', 'b'], ['t', 'c']]);
    lru.set('t', 'b', '2b');
    lru.set('u', 'a', '4');
    expect(kept(lru, [['t', 'b'], ['t', 'c'], ['u', 'a']])).toEqual([['t', 'b'], ['u', 'a']]);
    expect(lru.get('t', 'b')).toBe('2b');
  });

  test('the same student id in two tenants is two students; a bound of 0 still keeps the latest one', () => {
    const lru = new StudentLru<string>(0);
    lru.set('t', 'a', 'ta');
    lru.set('u', 'a', 'ua');
    expect(kept(lru, [['t', 'a'], ['u', 'a']])).toEqual([['u', 'a']]);
    expect(lru.get('u', 'a')).toBe('ua');
  });
});
