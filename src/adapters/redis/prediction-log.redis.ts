import type { RedisClient } from './client';
import { addSums, NO_SAMPLES, sampleOf, scopeOf, summarize, type AccuracySums, type AccuracySummary, type RememberedPrediction, type ServedPrediction } from '../../domain/prediction/accuracy';
import { DAY_MS, dayOf, isoDay } from '../../domain/mastery/topic-state';
import type { Clock } from '../../ports/clock.port';
import type { StudentRef } from '../../ports/mastery-store.port';
import { byCodeUnit, type AccuracyWindow, type DuePrediction, type PredictionLog, type ScoreOutcome } from '../../ports/prediction-log.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import dueScript from './prediction-log-due.lua' with { type: 'text' };
import forgetScript from './prediction-log-forget.lua' with { type: 'text' };
import rememberScript from './prediction-log-remember.lua' with { type: 'text' };
import scoreScript from './prediction-log-score.lua' with { type: 'text' };
import { guard } from './guard';
import { predictionAccuracyKey, predictionDueKey, predictionLogKey } from './keys';

export interface RedisPredictionLogOptions {
  clock: Clock;
  /** Days an entry and a day's sums are kept after their target day (PREDICTION_LOG_RETENTION_DAYS). */
  retentionDays: number;
  pseudonymize: Pseudonymizer;
}

type RememberFn = (log: string, due: string, pseudonym: string, ttl: number, cutoffDay: string, cutoffDayNumber: number, ...predictions: (string | number)[]) => Promise<number>;
type DueFn = (numberOfKeys: number, ...keysThenMembers: string[]) => Promise<string[]>;
type ScoreFn = (log: string, due: string, sums: string, field: string, member: string, actual: number, scoredAt: number, ttl: number, ...sumFields: (string | number)[]) => Promise<string>;
type ForgetFn = (log: string, due: string, pseudonym: string, at: number, ttl: number) => Promise<number>;
type RedisWithScripts = RedisClient & { predictionLogRemember: RememberFn; predictionLogDue: DueFn; predictionLogScore: ScoreFn; predictionLogForget: ForgetFn };

const fieldOf = (p: Pick<ServedPrediction, 'targetDay' | 'topicId'>): string => `${p.targetDay}|${p.topicId ?? '*'}`;
const dayNumberOf = (day: string): number => dayOf(Date.parse(`${day}T00:00:00Z`));
const SUM_NAMES = ['n', 'absError', 'error', 'covered', 'lastValueAbsError', 'linearAbsError'] as const satisfies readonly (keyof AccuracySums)[];

/**
 * The log of one tenant lives in one slot (`{tenant}` in keys.ts): a hash per student named by
 * pseudonym, the tenant's due index and its sums per target day. Every write is one Lua script, so
 * replicas sharing the keys cannot double-count a score or leave an erased student in the index
 * behind; nothing is cached in the process.
 */
export class RedisPredictionLog implements PredictionLog {
  private readonly redis: RedisWithScripts;

  constructor(
    redis: RedisClient,
    private readonly opts: RedisPredictionLogOptions,
  ) {
    redis.defineCommand('predictionLogRemember', { numberOfKeys: 2, lua: rememberScript });
    redis.defineCommand('predictionLogDue', { lua: dueScript });
    redis.defineCommand('predictionLogScore', { numberOfKeys: 3, lua: scoreScript });
    redis.defineCommand('predictionLogForget', { numberOfKeys: 2, lua: forgetScript });
    this.redis = redis as RedisWithScripts;
  }

  rememberServed(ref: StudentRef, predictions: readonly ServedPrediction[]): Promise<void> {
    if (predictions.length === 0) return Promise.resolve();
    return guard(async () => {
      const pseudonym = this.opts.pseudonymize(ref.tenantId, ref.studentId);
      const cutoff = this.cutoffDay();
      const latest = predictions.reduce((max, p) => (p.targetDay > max ? p.targetDay : max), predictions[0]!.targetDay);
      const args = predictions.flatMap((p) => [fieldOf(p), p.servedAt, dayNumberOf(p.targetDay), JSON.stringify(p)]);
      await this.redis.predictionLogRemember(predictionLogKey(ref.tenantId, pseudonym), predictionDueKey(ref.tenantId), pseudonym, this.ttlUntilPast(latest), cutoff, dayNumberOf(cutoff), ...args);
    });
  }

  dueForScoring(query: { tenantId: string; asOfDay: string; limit: number; student?: StudentRef }): Promise<DuePrediction[]> {
    return guard(async () => {
      if (query.student) {
        const pseudonym = this.opts.pseudonymize(query.student.tenantId, query.student.studentId);
        return (await this.entriesOf(query.tenantId, pseudonym))
          .filter(([, e]) => e.actual === undefined && e.targetDay < query.asOfDay)
          .slice(0, query.limit)
          .map(([field, e]) => ({ ...e, id: `${pseudonym}|${field}`, pseudonym }));
      }
      const dueKey = predictionDueKey(query.tenantId);
      const due: DuePrediction[] = [];
      // Candidates from the index, then their entries in one script that declares each log hash.
      // Members whose entry is gone leave the index there, so the next page starts after the
      // members found; one scored by another replica in between may be missed until the next run.
      let offset = 0;
      while (due.length < query.limit) {
        const want = query.limit - due.length;
        const members = await this.redis.zrangebyscore(dueKey, dayNumberOf(this.cutoffDay()), dayNumberOf(query.asOfDay) - 1, 'LIMIT', offset, want);
        if (members.length === 0) break;
        const keys = [dueKey, ...members.map((m) => predictionLogKey(query.tenantId, m.slice(0, m.indexOf('|'))))];
        const flat = await this.redis.predictionLogDue(keys.length, ...keys, ...members);
        for (let i = 0; i < flat.length; i += 2) {
          const id = flat[i]!;
          due.push({ ...(JSON.parse(flat[i + 1]!) as ServedPrediction), id, pseudonym: id.slice(0, id.indexOf('|')) });
        }
        offset += flat.length / 2;
        if (members.length < want) break;
      }
      return due;
    });
  }

  recordActual(tenantId: string, prediction: DuePrediction, actual: number, scoredAt: number): Promise<ScoreOutcome> {
    return guard(async () => {
      const sample = sampleOf(prediction, actual);
      const scope = scopeOf(prediction);
      const kind = await this.redis.predictionLogScore(
        predictionLogKey(tenantId, prediction.pseudonym),
        predictionDueKey(tenantId),
        predictionAccuracyKey(tenantId, prediction.targetDay),
        fieldOf(prediction),
        `${prediction.pseudonym}|${fieldOf(prediction)}`,
        actual,
        scoredAt,
        this.ttlUntilPast(prediction.targetDay),
        ...SUM_NAMES.flatMap((name) => [`${scope}|${name}`, sample[name]]),
      );
      return { kind: kind as ScoreOutcome['kind'] };
    });
  }

  accuracySummary(w: AccuracyWindow): Promise<AccuracySummary> {
    return guard(async () => {
      // Sums older than the retention are gone and none exist for days not yet over.
      const from = Math.max(dayNumberOf(w.fromDay), dayNumberOf(this.cutoffDay()));
      const to = Math.min(dayNumberOf(w.toDay), dayOf(this.opts.clock.now()));
      const pipeline = this.redis.pipeline();
      for (let d = from; d <= to; d++) pipeline.hmget(predictionAccuracyKey(w.tenantId, isoDay(d)), ...SUM_NAMES.map((name) => `${w.scope}|${name}`));
      let total = NO_SAMPLES;
      for (const [err, values] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        const day = Object.fromEntries(SUM_NAMES.map((name, i) => [name, Number((values as (string | null)[])[i] ?? 0)])) as unknown as AccuracySums;
        total = addSums(total, day);
      }
      return summarize(total);
    });
  }

  listRemembered(ref: StudentRef): Promise<RememberedPrediction[]> {
    return guard(async () => (await this.entriesOf(ref.tenantId, this.opts.pseudonymize(ref.tenantId, ref.studentId))).map(([, e]) => e));
  }

  forgetStudent(ref: StudentRef, at: number): Promise<void> {
    return guard(async () => {
      const pseudonym = this.opts.pseudonymize(ref.tenantId, ref.studentId);
      await this.redis.predictionLogForget(predictionLogKey(ref.tenantId, pseudonym), predictionDueKey(ref.tenantId), pseudonym, at, this.opts.retentionDays * 86_400);
    });
  }

  /** The student's entries within the retention, by field (target day, then topic). */
  private async entriesOf(tenantId: string, pseudonym: string): Promise<[string, RememberedPrediction][]> {
    const cutoff = this.cutoffDay();
    return Object.entries(await this.redis.hgetall(predictionLogKey(tenantId, pseudonym)))
      .filter(([field]) => field !== '~e' && field.slice(0, 10) >= cutoff)
      .sort(([a], [b]) => byCodeUnit(a, b))
      .map(([field, raw]) => [field, JSON.parse(raw) as RememberedPrediction]);
  }

  /** Target days before this are past the retention. */
  private cutoffDay(): string {
    return isoDay(dayOf(this.opts.clock.now()) - this.opts.retentionDays);
  }

  /** Seconds until `day` is past the retention (at least one). */
  private ttlUntilPast(day: string): number {
    return Math.max(1, Math.ceil(((dayNumberOf(day) + this.opts.retentionDays + 1) * DAY_MS - this.opts.clock.now()) / 1000));
  }
}
