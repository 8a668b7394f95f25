/** The current time, injected so the core never reads the system clock and tests can fix it. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}
