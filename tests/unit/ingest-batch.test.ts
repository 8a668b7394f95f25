import { describe, expect, test } from 'bun:test';
import { ingestBatch } from '../../src/adapters/kafka/ingest-batch';
import type { EngineDeps } from '../../src/domain/mastery/engine';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import { shippedCurricula } from '../support/curriculum';
import { wireEvent } from '../support/events';
import { FixedClock } from '../support/fixed-clock';
import { memoryStore } from '../support/stores';

const NOW = Date.parse('2026-01-20T12:00:00Z');

function engine(): EngineDeps {
  const clock = new FixedClock(NOW);
  return {
    store: memoryStore(clock),
    clock,
    curricula: shippedCurricula(),
    policy: { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] },
    consentByDefault: true,
    eventWindow: { maxSkewMs: 300_000, idempotencyRetentionMs: 7 * DAY_MS },
  };
}

const message = (overrides: Record<string, unknown>) => ({ value: Buffer.from(JSON.stringify(wireEvent(overrides))) });

describe('a Kafka batch with events outside the accepted time window', () => {
  test('events from the future and events too old to deduplicate are dead-lettered, naming occurred_at; the rest apply', async () => {
    const out = await ingestBatch(
      engine(),
      [message({ occurred_at: '2099-01-01T00:00:00Z' }), message({ occurred_at: '2026-01-01T00:00:00Z' }), message({ occurred_at: '2026-01-20T11:00:00Z' })],
      4,
    );
    expect(out.done).toBe(3);
    expect(out.outcomes.map((o) => o?.kind)).toEqual(['dead', 'dead', 'applied']);
    for (const o of out.outcomes.slice(0, 2)) {
      expect(o?.kind === 'dead' && o.reason).toBe('schema_violation');
      expect(o?.kind === 'dead' && o.detail).toStartWith('occurred_at:');
    }
  });
});
