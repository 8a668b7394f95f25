import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import CircuitBreaker from 'opossum';
import { StoreUnavailableError } from '../../ports/mastery-store.port';
import { KeyedQueue } from '../ingest/keyed-queue';
import { closeWhenProbeAnswers } from '../resilience/breaker-recovery';
import { breakerStatus, fireAsStore, onBreakerStateChange, type BreakerState, type BreakerStatus } from '../resilience/mastery-store.breaker';

/** A stored value with the ETag it was read with: a conditional write succeeds only while it is current. */
export interface Stored<T> {
  value: T;
  etag: string;
}

export interface DaprStateOptions {
  host: string;
  httpPort: number;
  /** The state component's name (DAPR_STATE_STORE). */
  storeName: string;
  /** A sidecar call slower than this counts as a failure (BREAKER_TIMEOUT_MS). */
  timeoutMs: number;
  /** How long the breaker stays open before a trial call (BREAKER_RESET_MS). */
  resetMs: number;
  /** The breaker's name in /metrics and logs. */
  name?: string;
}

/** What a conditional write expects: the ETag it read, or `absent` (the key must not exist). */
export type Expect = { etag: string } | 'absent';

/** The outcome of an `update` step: the new value (or `null` to delete the key), its TTL, and what to answer. */
export interface UpdateStep<T, R> {
  /** undefined: write nothing and answer `result`; null: delete the key. */
  value?: T | null;
  /** Seconds; undefined keeps no TTL (the key lives until deleted). */
  ttlSeconds?: number;
  result: R;
}

/** Key characters Dapr's HTTP API would misread in a path (`/`, `?`, `#`, `%`) are escaped. */
const pathOf = (key: string): string => encodeURIComponent(key);

/**
 * The Dapr state API, as every Dapr adapter uses it: reads through @dapr/dapr's DaprClient
 * (getBulk returns each key's value and ETag in one call, for one key or many), conditional writes
 * and deletes through the sidecar's HTTP API directly, because the SDK's `save` and `delete`
 * resolve every failure to an `{ error }` whose only detail is a string, so an ETag conflict (409,
 * retry from a fresh read) could not be told from a broken store (5xx, fail), and the SDK logs
 * each conflict as an error. Every call goes through one opossum breaker: a sidecar that fails or
 * hangs is refused at once (StoreUnavailableError) until it answers its health check again.
 */
export class DaprState {
  private readonly sdk: DaprClient;
  private readonly base: string;
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  /** Updates of one key through this client queue here, so they do not fail each other's ETags. */
  private readonly turns = new KeyedQueue();

  constructor(private readonly opts: DaprStateOptions) {
    this.sdk = new DaprClient({
      daprHost: opts.host,
      daprPort: String(opts.httpPort),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      logger: { level: LogLevel.Error },
    });
    this.base = `http://${opts.host}:${opts.httpPort}/v1.0`;
    this.breaker = new CircuitBreaker((op: () => Promise<unknown>) => op(), {
      name: opts.name ?? 'dapr-state',
      timeout: opts.timeoutMs,
      resetTimeout: opts.resetMs,
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      rollingCountTimeout: 10_000,
    });
    // While open, asks the sidecar's health endpoint every 250 ms and closes on the first answer.
    closeWhenProbeAnswers(this.breaker, { probe: () => this.check(), everyMs: 250 }, opts.timeoutMs);
  }

  /** Each key's stored value and ETag, in the order asked; undefined for a missing (or expired) key. */
  getMany<T>(keys: readonly string[]): Promise<(Stored<T> | undefined)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.call(async () => {
      const items = (await this.sdk.state.getBulk(this.opts.storeName, [...keys], { parallelism: 16 })) as { key: string; data?: T; etag?: string; error?: string }[];
      const byKey = new Map(items.map((item) => [item.key, item]));
      return keys.map((key) => {
        const item = byKey.get(key);
        if (item?.error) throw new Error(`dapr state: reading ${key}: ${item.error}`);
        return item?.data === undefined || item.data === null || (item.data as unknown) === '' ? undefined : { value: item.data, etag: item.etag ?? '' };
      });
    });
  }

  async get<T>(key: string): Promise<Stored<T> | undefined> {
    return (await this.getMany<T>([key]))[0];
  }

  /**
   * Writes `value` under `key` when `expect` still holds (first-write concurrency); without
   * `expect`, whatever is there is replaced. False when another writer got there first. The TTL
   * is always sent (-1 for none): Redis would otherwise keep a previous write's TTL. A key is
   * written one way only: once written with `expect`, state.redis refuses unconditional writes.
   */
  save<T>(key: string, value: T, options: { expect?: Expect; ttlSeconds?: number } = {}): Promise<boolean> {
    return this.call(async () => {
      const ttl = options.ttlSeconds === undefined ? -1 : Math.max(1, Math.ceil(options.ttlSeconds));
      const item: Record<string, unknown> = { key, value, metadata: { ttlInSeconds: String(ttl) } };
      if (options.expect !== undefined) {
        item.options = { concurrency: 'first-write', consistency: 'strong' };
        if (options.expect !== 'absent') item.etag = options.expect.etag;
      }
      const res = await fetch(`${this.base}/state/${this.opts.storeName}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([item]) });
      if (options.expect === 'absent' && res.status >= 500) {
        // state.redis answers a create that lost its race with a plain 500, not a 409: the key
        // being there now tells the lost race from a failing store.
        const body = await res.text();
        if ((await this.get(key)) !== undefined) return false;
        throw new Error(`dapr state: creating ${key}: HTTP ${res.status} ${body.slice(0, 300)}`);
      }
      return this.conditional(res, `saving ${key}`);
    });
  }

  /** Deletes `key` (when its ETag is still `etag`, if given); false when another writer changed it first. */
  delete(key: string, etag?: string): Promise<boolean> {
    return this.call(async () => {
      const headers: Record<string, string> = etag === undefined ? {} : { 'if-match': etag };
      const query = etag === undefined ? '' : '?concurrency=first-write';
      const res = await fetch(`${this.base}/state/${this.opts.storeName}/${pathOf(key)}${query}`, { method: 'DELETE', headers });
      return this.conditional(res, `deleting ${key}`);
    });
  }

  /**
   * Read-modify-write of one key, atomic by its ETag: `step` sees the current value (undefined
   * when absent) and may run more than once when other writers (other replicas) race; it must be
   * pure. This is the only atomic unit the adapters build on: Dapr's multi-key transactions do not
   * roll back on a failed ETag (see ADR 0013). Updates of one key through this client run one
   * after another, so they never fail each other's ETags; other replicas (and direct `save`s and
   * `delete`s) still can.
   */
  update<T, R>(key: string, step: (current: T | undefined) => UpdateStep<T, R>, maxRounds = 50): Promise<R> {
    return this.turns.run(key, () => this.updateNow(key, step, maxRounds));
  }

  private async updateNow<T, R>(key: string, step: (current: T | undefined) => UpdateStep<T, R>, maxRounds: number): Promise<R> {
    for (let round = 0; round < maxRounds; round++) {
      const current = await this.get<T>(key);
      const next = step(current?.value);
      if (next.value === undefined) return next.result;
      const ok =
        next.value === null
          ? current === undefined || (await this.delete(key, current.etag))
          : await this.save(key, next.value, { expect: current ? { etag: current.etag } : 'absent', ...(next.ttlSeconds === undefined ? {} : { ttlSeconds: next.ttlSeconds }) });
      if (ok) return next.result;
      // Another writer changed the key since the read: a short jittered pause, then a fresh read.
      if (round > 0) await Bun.sleep(Math.random() * Math.min(50, 2 ** round));
    }
    throw new StoreUnavailableError(`dapr state: ${key} kept changing under ${maxRounds} attempts; try again`);
  }

  /** Resolves when the sidecar is up and its components are loaded (for /ready). */
  async check(): Promise<void> {
    const res = await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(this.opts.timeoutMs) });
    if (res.status !== 204) throw new Error(`dapr sidecar health: HTTP ${res.status}`);
  }

  status(): BreakerStatus {
    return breakerStatus(this.breaker, this.opts.name ?? 'dapr-state');
  }

  onStateChange(listener: (state: BreakerState) => void): void {
    onBreakerStateChange(this.breaker, listener);
  }

  async close(): Promise<void> {
    this.breaker.shutdown();
  }

  /** 2xx: written; 409 (and 412): the ETag no longer holds; anything else is a broken store. */
  private async conditional(res: Response, what: string): Promise<boolean> {
    if (res.ok) return true;
    const body = await res.text();
    if (res.status === 409 || res.status === 412) return false;
    throw new Error(`dapr state: ${what}: HTTP ${res.status} ${body.slice(0, 300)}`);
  }

  private call<T>(op: () => Promise<T>): Promise<T> {
    return fireAsStore(this.breaker, op, this.opts.name ?? 'dapr-state', this.opts.timeoutMs);
  }
}
