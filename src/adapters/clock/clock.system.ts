import type { Clock } from '../../ports/clock.port';

/** The real clock; the only place the running service reads the time. */
export const systemClock: Clock = { now: () => Date.now() };
