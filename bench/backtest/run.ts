/**
 * `bun run backtest`: the simulated population (population.ts) through the real ingest, then the
 * three forecast models of src/domain/prediction/forecast.ts scored against what happened. Writes
 * the results section of docs/prediction-quality.md and docs/prediction-quality.svg, prints the
 * same figures, and exits non-zero when a target of issue 10 is not met.
 *
 * BACKTEST_SEED and BACKTEST_STUDENTS change the seed and the number of students (a smaller run
 * for quick comparisons while tuning); the report names them in its command.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/config';
import { dailyValues, dayNumber, type DayValue } from '../../src/domain/mastery/as-of';
import { ingestEvent, queryMastery, type EngineDeps } from '../../src/domain/mastery/engine';
import { DAY_MS, type DaySnapshot, type ModelPolicy } from '../../src/domain/mastery/topic-state';
import { componentModel, lastValueModel, linearRegressionModel, type ForecastModel } from '../../src/domain/prediction/forecast';
import { shippedCurricula, shippedCurriculum } from '../../tests/support/curriculum';
import { FixedClock } from '../../tests/support/fixed-clock';
import { memoryStore } from '../../tests/support/stores';
import { errorSummary, rankAucOfLow, type ErrorSummary } from './metrics';
import { linePlot } from './plot';
import { population, POPULATION, START_DAY, type Student } from './population';

const ROOT = join(import.meta.dir, '..', '..');

/** The issue's sample: forecasts made with at least four weeks of a topic's history, scored a week later. */
const MIN_HISTORY_DAYS = 28;
const HORIZON_DAYS = 7;
const MAX_HORIZON_DAYS = 30;
/**
 * Share of forecast points also forecast at every horizon 1-30 for the error-by-horizon plot
 * (chosen by a hash of student, topic and day, so the same points every run): 30 forecasts per
 * point per model would otherwise make the run several times longer.
 */
const HORIZON_SAMPLE_SHARE = 0.1;
/** Targets of issue 10. */
const TARGET_RMSE_RATIO = 0.85;
const TARGET_COVERAGE: readonly [number, number] = [0.75, 0.85];

/** The served model first: every ratio and target is about it. */
const OURS = componentModel;
const MODELS: readonly ForecastModel[] = [componentModel, lastValueModel, linearRegressionModel];

function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be a whole number of at least ${min}, got "${raw}"`);
  return v;
}

/** A well-mixed 32-bit hash of three whole numbers (murmur3's finaliser over a combination). */
function hash3(a: number, b: number, c: number): number {
  let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

interface ModelPoints {
  predicted: number[];
  low: number[];
  high: number[];
  /** Sum of squared errors and count at each horizon 1..30 (index = horizon). */
  horizonSq: Float64Array;
  horizonN: Float64Array;
}

/** Idle days on the forecast day: 0-6 (studying), 7-13 (consistency still falling), 14+ (all gone). */
const SEGMENTS = ['idle 0-6 days', 'idle 7-13 days', 'idle 14+ days'] as const;
const segmentOf = (idleDays: number): number => (idleDays < 7 ? 0 : idleDays < 14 ? 1 : 2);

async function main(): Promise<void> {
  const seed = intFromEnv('BACKTEST_SEED', POPULATION.SEED, 0);
  const studentCount = intFromEnv('BACKTEST_STUDENTS', POPULATION.STUDENTS, 1);
  const parsed = parseConfig({});
  if (!parsed.ok) throw new Error(`default configuration does not parse: ${parsed.errors.join('; ')}`);
  const config = parsed.config;
  const policy: ModelPolicy = { consistencyWindowDays: config.model.consistencyWindowDays, recencyHalfLifeDays: config.model.recencyHalfLifeDays, thresholds: config.model.thresholds };
  const belowThreshold = config.prediction.intervention.threshold;
  const endDay = START_DAY + POPULATION.DAYS - 1;
  const started = performance.now();

  // 1. The population through the real ingest, the clock at the end of each simulated day.
  const clock = new FixedClock(START_DAY * DAY_MS);
  const deps: EngineDeps = {
    store: memoryStore(clock),
    clock,
    curricula: shippedCurricula(),
    policy,
    consentByDefault: config.privacy.consentByDefault,
    eventWindow: { maxSkewMs: config.state.maxEventSkewSeconds * 1000, idempotencyRetentionMs: config.state.idempotencyRetentionDays * DAY_MS },
  };
  const histories: { student: Student; snapshots: DaySnapshot[] }[] = [];
  const read = async (student: Student) => histories.push({ student, snapshots: await deps.store.getHistory({ tenantId: 'default', studentId: student.id }) });
  let live = population(seed, studentCount, shippedCurriculum);
  let events = 0;
  for (let day = 0; day < POPULATION.DAYS; day++) {
    clock.set((START_DAY + day + 1) * DAY_MS);
    for (const s of live) {
      for (const e of s.eventsOn(day)) {
        const outcome = await ingestEvent(deps, e);
        if (outcome.kind !== 'applied') throw new Error(`the ingest did not apply ${e.event_id}: ${JSON.stringify(outcome)}`);
        events++;
      }
      // The store forgets a student STATE_TTL_DAYS after their last activity: read a leaver's history while it is there.
      if (s.droppedOn === day) await read(s);
    }
    live = live.filter((s) => s.droppedOn === undefined);
  }
  // The last moment of the simulation, when the live query and the as-of values must agree.
  clock.set((endDay + 1) * DAY_MS - 1);
  const liveScores = new Map<string, number>();
  for (const s of live) {
    await read(s);
    const q = await queryMastery(deps, { tenantId: 'default', studentId: s.id });
    if (q.kind === 'ok') for (const t of q.mastery.topics) liveScores.set(`${s.id}|${t.topicId}`, t.masteryScore);
  }
  histories.sort((a, b) => a.student.index - b.student.index);
  const simulated = performance.now();

  // 2. Forecasts at every eligible student-topic-day, scored against the value a week later.
  const topicIndex = new Map([...shippedCurriculum.topics.keys()].map((t, i) => [t, i]));
  const actual: number[] = [];
  const current: number[] = [];
  const segment: number[] = [];
  const points = new Map<ForecastModel, ModelPoints>(
    MODELS.map((m) => [m, { predicted: [], low: [], high: [], horizonSq: new Float64Array(MAX_HORIZON_DAYS + 1), horizonN: new Float64Array(MAX_HORIZON_DAYS + 1) }]),
  );
  let studentTopics = 0;
  let liveChecked = 0;
  let liveOffByRounding = 0;
  let horizonPoints = 0;
  const emptyHistories = histories.filter((h) => h.snapshots.length === 0).length;
  for (const { student, snapshots } of histories) {
    const byTopic = new Map<string, DaySnapshot[]>();
    for (const s of snapshots) byTopic.set(s.topicId, [...(byTopic.get(s.topicId) ?? []), s]);
    for (const [topicId, snaps] of byTopic) {
      studentTopics++;
      const values = dailyValues(snaps, dayNumber(snaps[0]!.day), endDay, policy) as DayValue[];
      const live = liveScores.get(`${student.id}|${topicId}`);
      // A check on the harness itself: the history read back gives what the service answers now, up
      // to one unit of the score's 4th decimal (snapshots keep components rounded to 6 decimals).
      if (live !== undefined) {
        const diff = Math.abs(live - values.at(-1)!.mastery.masteryScore);
        if (diff > 1.5e-4) throw new Error(`${student.id} ${topicId}: as-of value ${values.at(-1)!.mastery.masteryScore} differs from the live query's ${live}`);
        liveChecked++;
        if (diff > 0) liveOffByRounding++;
      }
      let idle = 0;
      for (let i = 0; i < values.length; i++) {
        idle = values[i]!.active ? 0 : idle + 1;
        if (i < MIN_HISTORY_DAYS || i + HORIZON_DAYS >= values.length) continue;
        const evidence = { topicId, days: values.slice(0, i + 1) };
        actual.push(values[i + HORIZON_DAYS]!.mastery.masteryScore);
        current.push(values[i]!.mastery.masteryScore);
        segment.push(segmentOf(idle));
        const curve = i + MAX_HORIZON_DAYS < values.length && hash3(seed ^ student.index, topicIndex.get(topicId)!, i) / 2 ** 32 < HORIZON_SAMPLE_SHARE;
        if (curve) horizonPoints++;
        for (const model of MODELS) {
          const p = points.get(model)!;
          const f = model.forecast(evidence, HORIZON_DAYS, policy);
          p.predicted.push(f.predicted);
          p.low.push(f.low);
          p.high.push(f.high);
          if (!curve) continue;
          for (let h = 1; h <= MAX_HORIZON_DAYS; h++) {
            const e = (h === HORIZON_DAYS ? f : model.forecast(evidence, h, policy)).predicted - values[i + h]!.mastery.masteryScore;
            p.horizonSq[h]! += e * e;
            p.horizonN[h]!++;
          }
        }
      }
    }
  }
  const scored = performance.now();

  // 3. Metrics, targets, report.
  const below = actual.map((a) => a < belowThreshold);
  const summaries = new Map(MODELS.map((m) => [m, errorSummary(actual, points.get(m)!.predicted, points.get(m)!.low, points.get(m)!.high)]));
  const aucs = new Map(MODELS.map((m) => [m, rankAucOfLow(points.get(m)!.predicted, below)]));
  const currentAuc = rankAucOfLow(current, below);
  const ours = summaries.get(OURS)!;
  const vsLast = ours.rmse / summaries.get(lastValueModel)!.rmse;
  const vsLinear = ours.rmse / summaries.get(linearRegressionModel)!.rmse;
  const targets = [
    { what: `7-day RMSE ≤ ${TARGET_RMSE_RATIO}× last-value's`, value: `${vsLast.toFixed(3)}×`, met: vsLast <= TARGET_RMSE_RATIO },
    { what: `7-day RMSE ≤ ${TARGET_RMSE_RATIO}× linear regression's`, value: `${vsLinear.toFixed(3)}×`, met: vsLinear <= TARGET_RMSE_RATIO },
    { what: `80%-interval coverage within ${TARGET_COVERAGE[0]}-${TARGET_COVERAGE[1]}`, value: ours.coverage.toFixed(3), met: ours.coverage >= TARGET_COVERAGE[0] && ours.coverage <= TARGET_COVERAGE[1] },
    { what: `AUC for "below ${belowThreshold} in 7 days" above the current value's (${currentAuc.toFixed(4)})`, value: aucs.get(OURS)!.toFixed(4), met: aucs.get(OURS)! > currentAuc },
  ];
  const horizonRmse = (m: ForecastModel) => Array.from({ length: MAX_HORIZON_DAYS }, (_, k) => Math.sqrt(points.get(m)!.horizonSq[k + 1]! / points.get(m)!.horizonN[k + 1]!));
  const segmentRows = SEGMENTS.map((name, k) => {
    const idx = segment.flatMap((s, i) => (s === k ? [i] : []));
    const pick = (xs: number[]) => idx.map((i) => xs[i]!);
    return { name, n: idx.length, rmse: MODELS.map((m) => errorSummary(pick(actual), pick(points.get(m)!.predicted)).rmse) };
  });
  const finished = performance.now();

  const env = [seed !== POPULATION.SEED ? `BACKTEST_SEED=${seed}` : '', studentCount !== POPULATION.STUDENTS ? `BACKTEST_STUDENTS=${studentCount}` : ''].filter(Boolean).join(' ');
  const command = `${env ? `${env} ` : ''}bun run backtest`;
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const f4 = (x: number) => x.toFixed(4);
  const cov = (s: ErrorSummary) => (Number.isNaN(s.coverage) ? '-' : s.coverage.toFixed(3));
  const modelRows = MODELS.map((m) => {
    const s = summaries.get(m)!;
    return `| \`${m.name}\` v${m.version} | ${f4(s.rmse)} | ${f4(s.mae)} | ${s.bias >= 0 ? '+' : ''}${f4(s.bias)} | ${cov(s)} | ${f4(aucs.get(m)!)} |`;
  });
  const shownHorizons = [1, 2, 3, 5, 7, 10, 14, 21, 30];
  const curves = new Map(MODELS.map((m) => [m, horizonRmse(m)]));
  const params = Object.entries(POPULATION).map(([k, v]) => `\`${k}\` = ${Array.isArray(v) ? `[${(v as readonly number[]).join(', ')}]` : String(v)}`);
  const section = [
    `Command: \`${command}\` (seed ${seed}). ${studentCount.toLocaleString('en')} students × ${POPULATION.DAYS} days, ${events.toLocaleString('en')} events applied through \`ingestEvent\` with the in-memory store; ${studentTopics.toLocaleString('en')} student-topics (students with no history read back: ${emptyHistories}). Check: for the ${liveChecked.toLocaleString('en')} student-topics still live at the end, the last as-of value equals the live mastery query's (${liveOffByRounding} differ by 0.0001, a rounding of the snapshot's components).`,
    `${actual.length.toLocaleString('en')} forecast points (every student-topic-day with ${MIN_HISTORY_DAYS}+ days of history and its ${HORIZON_DAYS}-day target inside the simulation, no subsampling); ${below.filter(Boolean).length.toLocaleString('en')} of them (${((100 * below.filter(Boolean).length) / actual.length).toFixed(1)}%) below ${belowThreshold} seven days later. Error by horizon: ${horizonPoints.toLocaleString('en')} of the points whose 30-day target is inside the simulation (a fixed ${HORIZON_SAMPLE_SHARE * 100}% by hash), the same points at every horizon.`,
    `Run time ${secs(finished - started)} (simulation and ingest ${secs(simulated - started)}, forecasts ${secs(scored - simulated)}, metrics ${secs(finished - scored)}) on ${cpus().length} CPUs, Bun ${Bun.version}, ${new Date().toISOString()}.`,
    '',
    `### ${HORIZON_DAYS}-day forecasts`,
    '',
    `| model | RMSE | MAE | bias | 80% coverage | AUC (below ${belowThreshold}) |`,
    '|---|---:|---:|---:|---:|---:|',
    ...modelRows,
    `| current value (for the AUC) | | | | | ${f4(currentAuc)} |`,
    '',
    `The last value's interval is the point itself, so its "coverage" is the share of topics that did not move; the last value's AUC is the current value's.`,
    '',
    '### Targets',
    '',
    '| target | ours | result |',
    '|---|---:|---|',
    ...targets.map((t) => `| ${t.what} | ${t.value} | ${t.met ? 'PASS' : 'NOT MET'} |`),
    '',
    `### ${HORIZON_DAYS}-day RMSE by idle days on the forecast day`,
    '',
    `| segment | points | ${MODELS.map((m) => `\`${m.name}\``).join(' | ')} |`,
    `|---|---:|${MODELS.map(() => '---:').join('|')}|`,
    ...segmentRows.map((r) => `| ${r.name} | ${r.n.toLocaleString('en')} | ${r.rmse.map(f4).join(' | ')} |`),
    '',
    '### RMSE by horizon',
    '',
    '![RMSE by forecast horizon](prediction-quality.svg)',
    '',
    `| horizon (days) | ${shownHorizons.join(' | ')} |`,
    `|---|${shownHorizons.map(() => '---:').join('|')}|`,
    ...MODELS.map((m) => `| \`${m.name}\` | ${shownHorizons.map((h) => f4(curves.get(m)![h - 1]!)).join(' | ')} |`),
    '',
    '### Population parameters as run',
    '',
    params.join(', ') + '.',
  ].join('\n');

  const docPath = join(ROOT, 'docs/prediction-quality.md');
  const begin = '<!-- backtest:results -->';
  const end = '<!-- /backtest:results -->';
  const doc = readFileSync(docPath, 'utf8');
  if (!doc.includes(begin) || !doc.includes(end)) throw new Error(`${docPath} lacks the ${begin} ... ${end} markers`);
  writeFileSync(docPath, doc.replace(new RegExp(`${begin}[\\s\\S]*?${end}`), () => `${begin}\n${section}\n${end}`));
  const colors = ['#d62728', '#7f7f7f', '#1f77b4'];
  writeFileSync(
    join(ROOT, 'docs/prediction-quality.svg'),
    linePlot({
      title: `RMSE by horizon (backtest, seed ${seed}, ${studentCount} students)`,
      xLabel: 'horizon (days)',
      yLabel: 'RMSE of mastery',
      series: MODELS.map((m, k) => ({ name: m.name, color: colors[k]!, values: curves.get(m)! })),
    }),
  );

  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`backtest: seed ${seed}, ${studentCount} students, ${events} events, ${actual.length} points, ${secs(finished - started)}`);
  console.log(`${pad('model', 22)}${['rmse', 'mae', 'bias', 'cover80', 'auc', 'rmse@1', 'rmse@14', 'rmse@30'].map((h) => h.padStart(9)).join('')}`);
  for (const m of MODELS) {
    const s = summaries.get(m)!;
    const c = curves.get(m)!;
    console.log(`${pad(m.name, 22)}${[s.rmse, s.mae, s.bias, s.coverage, aucs.get(m)!, c[0]!, c[13]!, c[29]!].map((x) => (Number.isNaN(x) ? '-' : x.toFixed(4)).padStart(9)).join('')}`);
  }
  console.log(`${pad('current value', 22)}auc ${f4(currentAuc)}`);
  for (const r of segmentRows) console.log(`${pad(r.name, 22)}n=${r.n} rmse ${r.rmse.map(f4).join(' / ')}`);
  for (const t of targets) console.log(`${t.met ? 'PASS   ' : 'NOT MET'} ${t.what}: ${t.value}`);
  console.log('wrote docs/prediction-quality.md (results section) and docs/prediction-quality.svg');
  if (!targets.every((t) => t.met)) process.exitCode = 1;
}

await main();
