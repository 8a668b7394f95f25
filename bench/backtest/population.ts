/**
 * The backtest's simulated population: seeded learners who study the shipped curriculum day by day
 * and emit the service's wire events. Every behaviour is a named parameter below, documented in
 * docs/prediction-quality.md ("The simulated population"); they were fixed before any model was
 * scored against them and must not be tuned to make a model look good.
 *
 * A student is a small state machine stepped one day at a time, so the harness can move the
 * engine's clock along with the simulation. Each student draws from a random stream of their own
 * (seed and index), so a student's events do not depend on how many others are simulated.
 */
import type { Curriculum, Topic } from '../../src/domain/mastery/curriculum';
import { DAY_MS } from '../../src/domain/mastery/topic-state';

export const POPULATION = Object.freeze({
  /** Default seed of `bun run backtest`. */
  SEED: 20_260_105,
  STUDENTS: 2_000,
  DAYS: 120,
  /** Day 0 of the simulation, a Monday (UTC), so days 5 and 6 of each week are the weekend. */
  START_DATE: '2026-01-05',
  /** Students enrol over the first three weeks: first possible study day uniform in [0, 20]. */
  ENROL_SPREAD_DAYS: 21,

  /** Probability of studying on a weekday: per student, uniform in this range. */
  WEEKDAY_ACTIVE: [0.3, 0.9] as const,
  /** Weekend probability = weekday probability × this factor, per student uniform (some prefer weekends). */
  WEEKEND_FACTOR: [0.1, 1.3] as const,
  /** Motivation fades: the activity probability halves every this many days since enrolment (per student, uniform). */
  ENGAGEMENT_HALF_LIFE_DAYS: [45, 365] as const,
  /** Daily probability of stopping for good (about 38% of students stop within 120 days). */
  DROPOUT_HAZARD: 0.004,
  /** Daily probability of starting a pause (holiday, illness); its length is uniform in PAUSE_DAYS. */
  PAUSE_HAZARD: 0.008,
  PAUSE_DAYS: [5, 24] as const,

  /** Learning rate: log-normal per student (median 1, log-sd 0.5); scales lesson pace and skill gains. */
  LEARNING_RATE_LOG_SD: 0.5,
  /** Latent skill on a topic when first touched, before prerequisites: per student, uniform. */
  APTITUDE: [0.2, 0.55] as const,
  /** Starting skill moves by this times (mean prerequisite skill - 0.5): strong foundations help. */
  PREREQUISITE_TRANSFER: 0.3,
  /** Skill gain per study session on a topic: this × learning rate × (1 - skill). */
  SESSION_GAIN: 0.09,
  /** Extra gain of a session that completes a new lesson, same form. */
  LESSON_GAIN: 0.05,

  /** Forgetting: skill above its starting value decays as exp(-gap / stability); initial stability log-normal per student. */
  STABILITY_MEDIAN_DAYS: 8,
  STABILITY_LOG_SD: 0.5,
  /** Stability grows after each session: by SPACED after a gap of 2+ days, by MASSED after practice on consecutive days. */
  STABILITY_GROWTH_SPACED: 1.3,
  STABILITY_GROWTH_MASSED: 1.08,

  /** A topic opens when every prerequisite has at least this share of its lessons completed. */
  UNLOCK_COMPLETION: 0.6,
  /** The topic of the previous session weighs this much against 1 for each other open topic. */
  FOCUS_WEIGHT: 4,
  /** Probability that an active day has a second topic session. */
  SECOND_TOPIC_PROB: 0.3,
  /** Probability that a session reviews a finished topic (all lessons done) instead of an open one. */
  REVIEW_PROB: 0.1,

  /** Per session: probability of completing the next lesson (× learning rate, capped at LESSON_PROB_MAX). */
  LESSON_PROB: 0.5,
  LESSON_PROB_MAX: 0.95,
  /** Per session: probability of re-opening a completed lesson (a repeat, no new completion). */
  LESSON_REPEAT_PROB: 0.05,
  QUIZ_PROB: 0.6,
  /** Quiz score = skill + normal noise of this sd, clipped to [0, 1], as correct answers out of 10. */
  QUIZ_NOISE_SD: 0.12,
  CODE_PROB: 0.35,
  /** Code quality = CODE_BASE + CODE_SLOPE × skill + normal noise, clipped to [0, 1]. */
  CODE_BASE: 0.1,
  CODE_SLOPE: 0.8,
  CODE_NOISE_SD: 0.15,
  PRACTICE_PROB: 0.5,
  PRACTICE_MINUTES: [10, 60] as const,
  /** Preferred study hour (UTC) per student, uniform; a day's session starts within ±2 h of it. */
  STUDY_HOUR: [7, 21] as const,
});

/** sfc32: a small, fast, seedable generator with a 128-bit state (Doug Williams' PractRand suite passes it). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number, stream: number) {
    this.a = 0x9e3779b9;
    this.b = seed >>> 0;
    this.c = stream >>> 0;
    this.d = 1;
    for (let i = 0; i < 15; i++) this.next();
  }
  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  }
  uniform([lo, hi]: readonly [number, number]): number {
    return lo + (hi - lo) * this.next();
  }
  /** A whole number in [lo, hi], both included. */
  int([lo, hi]: readonly [number, number]): number {
    return lo + Math.floor((hi - lo + 1) * this.next());
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

/** A wire event as the HTTP and Kafka drivers receive it. */
export interface WireEvent {
  event_id: string;
  event_type: string;
  student_id: string;
  topic_id: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

interface TopicProgress {
  skill: number;
  /** The skill forgetting decays toward: where the learner started. */
  floor: number;
  stability: number;
  lessonsDone: number;
  /** Day of the last session on the topic. */
  lastDay: number;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
const START_MS = Date.parse(`${POPULATION.START_DATE}T00:00:00Z`);
/** Epoch day of simulation day 0. */
export const START_DAY = Math.floor(START_MS / DAY_MS);

/** One simulated learner; `eventsOn(day)` must be called for days 0, 1, 2, ... in order. */
export class Student {
  readonly id: string;
  private readonly rng: Rng;
  private readonly enrolDay: number;
  private readonly weekdayActive: number;
  private readonly weekendActive: number;
  private readonly engagementHalfLife: number;
  private readonly learningRate: number;
  private readonly aptitude: number;
  private readonly initialStability: number;
  private readonly studyHour: number;
  private readonly progress = new Map<string, TopicProgress>();
  private pausedUntil = -1;
  private focus: string | undefined;
  private events = 0;
  /** Set on the day the student stops for good; no events after it. */
  droppedOn: number | undefined;

  constructor(
    seed: number,
    readonly index: number,
    private readonly curriculum: readonly Topic[],
  ) {
    const P = POPULATION;
    this.id = `s${String(index).padStart(5, '0')}`;
    this.rng = new Rng(seed, index);
    this.enrolDay = this.rng.int([0, P.ENROL_SPREAD_DAYS - 1]);
    this.weekdayActive = this.rng.uniform(P.WEEKDAY_ACTIVE);
    this.weekendActive = Math.min(0.95, this.weekdayActive * this.rng.uniform(P.WEEKEND_FACTOR));
    this.engagementHalfLife = this.rng.uniform(P.ENGAGEMENT_HALF_LIFE_DAYS);
    this.learningRate = Math.exp(P.LEARNING_RATE_LOG_SD * this.rng.normal());
    this.aptitude = this.rng.uniform(P.APTITUDE);
    this.initialStability = P.STABILITY_MEDIAN_DAYS * Math.exp(P.STABILITY_LOG_SD * this.rng.normal());
    this.studyHour = this.rng.uniform(P.STUDY_HOUR);
  }

  eventsOn(day: number): WireEvent[] {
    const P = POPULATION;
    if (day < this.enrolDay || this.droppedOn !== undefined) return [];
    if (day > this.enrolDay && this.rng.chance(P.DROPOUT_HAZARD)) {
      this.droppedOn = day;
      return [];
    }
    if (day <= this.pausedUntil) return [];
    if (this.rng.chance(P.PAUSE_HAZARD)) {
      this.pausedUntil = day + this.rng.int(P.PAUSE_DAYS) - 1;
      return [];
    }
    const weekend = day % 7 >= 5;
    const engagement = 0.5 ** ((day - this.enrolDay) / this.engagementHalfLife);
    // The enrolment day is a study day (enrolling is doing something), unless a pause began on it.
    if (day > this.enrolDay && !this.rng.chance((weekend ? this.weekendActive : this.weekdayActive) * engagement)) return [];

    let at = START_MS + day * DAY_MS + (this.studyHour + this.rng.uniform([-2, 2])) * 3_600_000;
    const out: WireEvent[] = [];
    const sessions = this.rng.chance(P.SECOND_TOPIC_PROB) ? 2 : 1;
    for (let s = 0; s < sessions; s++) {
      const topic = this.chooseTopic();
      if (!topic) break;
      for (const e of this.session(topic, day)) {
        at += this.rng.int([3, 15]) * 60_000;
        // Late learners' sessions stay inside their day: the service keys snapshots by UTC day.
        const lastMinute = START_MS + (day + 1) * DAY_MS - 60_000;
        out.push({ ...e, event_id: `${this.id}-e${this.events++}`, student_id: this.id, occurred_at: new Date(Math.min(at, lastMinute)).toISOString() });
      }
    }
    return out;
  }

  private unlocked(t: Topic): boolean {
    return t.prerequisites.every((p) => {
      const pre = this.curriculum.find((c) => c.topicId === p)!;
      return (this.progress.get(p)?.lessonsDone ?? 0) >= POPULATION.UNLOCK_COMPLETION * pre.lessons.length;
    });
  }

  private chooseTopic(): Topic | undefined {
    const finished = this.curriculum.filter((t) => (this.progress.get(t.topicId)?.lessonsDone ?? 0) >= t.lessons.length);
    const open = this.curriculum.filter((t) => !finished.includes(t) && this.unlocked(t));
    if (finished.length > 0 && (open.length === 0 || this.rng.chance(POPULATION.REVIEW_PROB))) {
      return finished[Math.floor(this.rng.next() * finished.length)];
    }
    if (open.length === 0) return undefined;
    const weights = open.map((t) => (t.topicId === this.focus ? POPULATION.FOCUS_WEIGHT : 1));
    let r = this.rng.next() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < open.length; i++) {
      r -= weights[i]!;
      if (r < 0 || i === open.length - 1) {
        this.focus = open[i]!.topicId;
        return open[i];
      }
    }
    return undefined;
  }

  private startSkill(t: Topic): number {
    const pre = t.prerequisites.map((p) => this.progress.get(p)?.skill ?? 0);
    const transfer = pre.length === 0 ? 0 : POPULATION.PREREQUISITE_TRANSFER * (pre.reduce((a, b) => a + b, 0) / pre.length - 0.5);
    return clamp01(this.aptitude + transfer);
  }

  /** One study session: forgetting since the last one, learning, then the events that show it. */
  private session(t: Topic, day: number): Omit<WireEvent, 'event_id' | 'student_id' | 'occurred_at'>[] {
    const P = POPULATION;
    const r = this.rng;
    let p = this.progress.get(t.topicId);
    if (!p) {
      const s0 = this.startSkill(t);
      p = { skill: s0, floor: s0, stability: this.initialStability, lessonsDone: 0, lastDay: day };
      this.progress.set(t.topicId, p);
    }
    const gap = day - p.lastDay;
    if (gap > 0) {
      p.skill = p.floor + (p.skill - p.floor) * Math.exp(-gap / p.stability);
      p.stability *= gap >= 2 ? P.STABILITY_GROWTH_SPACED : P.STABILITY_GROWTH_MASSED;
    }
    p.lastDay = day;
    const base = { topic_id: t.topicId };
    const out: Omit<WireEvent, 'event_id' | 'student_id' | 'occurred_at'>[] = [];
    if (r.chance(P.PRACTICE_PROB)) out.push({ ...base, event_type: 'practice.session', data: { minutes: r.int(P.PRACTICE_MINUTES) } });
    let gain = P.SESSION_GAIN;
    if (p.lessonsDone < t.lessons.length && r.chance(Math.min(P.LESSON_PROB_MAX, P.LESSON_PROB * this.learningRate))) {
      out.push({ ...base, event_type: 'lesson.completed', data: { lesson_id: t.lessons[p.lessonsDone]! } });
      p.lessonsDone++;
      gain += P.LESSON_GAIN;
    } else if (p.lessonsDone > 0 && r.chance(P.LESSON_REPEAT_PROB)) {
      out.push({ ...base, event_type: 'lesson.completed', data: { lesson_id: t.lessons[r.int([0, p.lessonsDone - 1])]! } });
    }
    p.skill = clamp01(p.skill + gain * this.learningRate * (1 - p.skill));
    if (r.chance(P.QUIZ_PROB)) {
      const correct = Math.round(10 * clamp01(p.skill + P.QUIZ_NOISE_SD * r.normal()));
      out.push({ ...base, event_type: 'quiz.completed', data: { quiz_id: `${t.topicId}.q${this.events + out.length}`, correct, total: 10 } });
    }
    if (r.chance(P.CODE_PROB)) {
      const quality = clamp01(P.CODE_BASE + P.CODE_SLOPE * p.skill + P.CODE_NOISE_SD * r.normal());
      out.push({ ...base, event_type: 'code.assessed', data: { submission_id: `${t.topicId}.c${this.events + out.length}`, quality_score: Math.round(quality * 100) / 100 } });
    }
    // A session shows up as at least one event: a learner who opened the topic practised in it.
    if (out.length === 0) out.push({ ...base, event_type: 'practice.session', data: { minutes: r.int(P.PRACTICE_MINUTES) } });
    return out;
  }
}

/** The population: students 0..count-1 of `seed`, over the curriculum's topics in file order. */
export function population(seed: number, count: number, curriculum: Curriculum): Student[] {
  const topics = [...curriculum.topics.values()];
  return Array.from({ length: count }, (_, i) => new Student(seed, i, topics));
}
