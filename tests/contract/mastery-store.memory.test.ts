import { describe, expect, test } from 'bun:test';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import { FixedClock } from '../support/fixed-clock';
import { memoryStore as storeOn } from '../support/stores';
import { applyWire, CONTRACT_NOW, describeConsentLifetime, describeMasteryStoreContract, freshStudent } from './mastery-store.contract';

const memoryStore = (clock = new FixedClock(CONTRACT_NOW)) => storeOn(clock);

describeMasteryStoreContract('in-memory', () => ({ store: memoryStore() }));
describeConsentLifetime('in-memory', () => {
  const clock = new FixedClock(CONTRACT_NOW);
  return { store: memoryStore(clock), passStateTtl: async () => clock.advance(91 * DAY_MS) };
});

describe('the in-memory store', () => {
  test('forgets a student STATE_TTL_DAYS after their last activity', async () => {
    const clock = new FixedClock(CONTRACT_NOW);
    const store = memoryStore(clock);
    const ref = freshStudent();
    await applyWire(store, ref);
    clock.advance(89 * DAY_MS);
    expect(await store.getTopic(ref, 'python-basics')).toBeDefined();
    clock.advance(2 * DAY_MS);
    expect(await store.getTopic(ref, 'python-basics')).toBeUndefined();
  });
});
