/** A dependency whose reachability decides readiness (Redis, Kafka, ...). */
export interface HealthProbe {
  readonly name: string;
  /** Resolves when the dependency answers; rejects (or times out) when it does not. */
  check(): Promise<void>;
}
