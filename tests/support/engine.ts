import type { EngineDeps } from '../../src/domain/mastery/engine';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import type { Clock } from '../../src/ports/clock.port';
import type { MasteryStore } from '../../src/ports/mastery-store.port';
import { shippedCurricula } from './curriculum';
import { policy } from './history';

/** The core on `store` with the shipped curriculum and the default model settings, as one replica would run it. */
export const testEngine = (store: MasteryStore, clock: Clock): EngineDeps => ({
  store,
  clock,
  curricula: shippedCurricula(),
  policy,
  consentByDefault: true,
  eventWindow: { maxSkewMs: 300_000, idempotencyRetentionMs: 7 * DAY_MS },
});
