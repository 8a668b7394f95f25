import { describe, expect, test } from 'bun:test';
import { decodeHistory, encodeSnapshot } from '../../src/adapters/redis/mastery-store.redis';
import { selectSnapshots, type DaySnapshot } from '../../src/domain/mastery/topic-state';

// Ids that are prefixes of each other, differ in case, or start with digits and punctuation (ID_PATTERN).
const IDS = ['a', 'a-b', 'a.b', 'a:b', 'a_b', 'ab', 'A', 'Z', '0', '9x', '-', '.', 'a-', 'python-basics', 'python'];
const DAYS = ['2025-12-31', '2026-01-01', '2026-01-02', '2026-02-10', '2026-10-01', '2027-01-01'];

function snapshot(topicId: string, day: string, i: number): DaySnapshot {
  const s: DaySnapshot = {
    topicId,
    day,
    masteryScore: (i % 97) / 97,
    components: { completion: (i % 7) / 7, quiz: 0.1 + i / 1e4, quality: 1 / 3, consistency: (i % 15) / 14 },
    at: Date.parse(`${day}T10:00:00Z`) + i,
  };
  if (i % 3 !== 0) s.eventCount = i;
  // Written by a batch recalculation on a day without events.
  if (i % 5 === 0) s.recalculated = true;
  return s;
}

describe('history snapshots stored as JSON arrays', () => {
  test('decode gives back exactly the snapshots encoded, in the order and within the bounds selectSnapshots gives', () => {
    const all = IDS.flatMap((id, i) => DAYS.map((day, j) => snapshot(id, day, i * 10 + j)));
    const shuffled = [...all].sort((x, y) => ((x.at * 7919) % 101) - ((y.at * 7919) % 101));
    const encoded = shuffled.map(encodeSnapshot);
    for (const q of [{}, { topicId: 'a-b' }, { fromDay: '2026-01-01', toDay: '2026-02-10' }, { topicId: 'python', toDay: '2026-01-02' }]) {
      expect(decodeHistory([...encoded], q)).toEqual(selectSnapshots(all, q));
    }
  });

  test('values in the JSON-object layout are read too, mixed with arrays, in the same order', () => {
    const all = IDS.slice(0, 5).flatMap((id, i) => DAYS.map((day, j) => snapshot(id, day, i * 10 + j)));
    const mixed = all.map((s, i) => (i % 2 === 0 ? JSON.stringify(s) : encodeSnapshot(s)));
    expect(decodeHistory(mixed, {})).toEqual(selectSnapshots(all, {}));
  });
});
