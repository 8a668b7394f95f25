/**
 * Live accuracy: every served 7-day prediction is remembered, and once its day has passed it is
 * held against the mastery the student actually had that day. Scores are folded into sums per
 * target day, so a summary over a window is a sum of days and holds nobody's individual values.
 */

/** A prediction as it was served, with what the baselines said for the same day. */
export interface ServedPrediction {
  /** When it was served (epoch ms). */
  servedAt: number;
  /** The day it predicts, YYYY-MM-DD (UTC): scored against the mastery as of the end of that day. */
  targetDay: string;
  /** The topic, or null for the student's overall mean. */
  topicId: string | null;
  predicted: number;
  /** The 80% interval served with it. */
  low: number;
  high: number;
  baselines: { lastValue: number; linear: number };
}

/** A remembered prediction, with its actual value once scored. */
export interface RememberedPrediction extends ServedPrediction {
  actual?: number;
  scoredAt?: number;
}

/** Topic predictions and overall means are scored apart: they differ in spread and in number. */
export type AccuracyScope = 'topics' | 'overall';

export const scopeOf = (p: Pick<ServedPrediction, 'topicId'>): AccuracyScope => (p.topicId === null ? 'overall' : 'topics');

/** Sums over scored predictions; adding two is the scores of both sets. */
export interface AccuracySums {
  n: number;
  absError: number;
  /** predicted - actual, summed: the bias's numerator. */
  error: number;
  /** Actuals inside [low, high]. */
  covered: number;
  lastValueAbsError: number;
  linearAbsError: number;
}

export const NO_SAMPLES: AccuracySums = { n: 0, absError: 0, error: 0, covered: 0, lastValueAbsError: 0, linearAbsError: 0 };

/** One scored prediction as sums. */
export const sampleOf = (p: ServedPrediction, actual: number): AccuracySums => ({
  n: 1,
  absError: Math.abs(p.predicted - actual),
  error: p.predicted - actual,
  covered: actual >= p.low && actual <= p.high ? 1 : 0,
  lastValueAbsError: Math.abs(p.baselines.lastValue - actual),
  linearAbsError: Math.abs(p.baselines.linear - actual),
});

export const addSums = (a: AccuracySums, b: AccuracySums): AccuracySums => ({
  n: a.n + b.n,
  absError: a.absError + b.absError,
  error: a.error + b.error,
  covered: a.covered + b.covered,
  lastValueAbsError: a.lastValueAbsError + b.lastValueAbsError,
  linearAbsError: a.linearAbsError + b.linearAbsError,
});

export interface AccuracySummary {
  samples: number;
  /** null without samples: no error is not the same as zero error. */
  mae: number | null;
  /** Mean of predicted - actual: positive means the model is optimistic. */
  bias: number | null;
  /** Share of actuals inside the 80% interval: near 0.8 when the interval is honest. */
  intervalCoverage: number | null;
  baselineMae: { lastValue: number | null; linear: number | null };
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

export function summarize(s: AccuracySums): AccuracySummary {
  const per = (x: number): number | null => (s.n === 0 ? null : round4(x / s.n));
  return {
    samples: s.n,
    mae: per(s.absError),
    bias: per(s.error),
    intervalCoverage: per(s.covered),
    baselineMae: { lastValue: per(s.lastValueAbsError), linear: per(s.linearAbsError) },
  };
}
