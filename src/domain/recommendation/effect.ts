import { componentsAsOf } from '../mastery/as-of';
import { calculateMastery } from '../mastery/mastery';
import { DAY_MS, type DaySnapshot, type ModelPolicy } from '../mastery/topic-state';

export const FEEDBACK_STATUSES = ['accepted', 'dismissed', 'completed'] as const;
export type FeedbackStatus = (typeof FEEDBACK_STATUSES)[number];

/** A week: long enough for practice to show in quizzes, short enough that little else has changed. */
export const EFFECT_HORIZON_DAYS = 7;

/** One recommendation's latest feedback, with the day snapshots of its topic. */
export interface FeedbackObservation {
  status: FeedbackStatus;
  /** When the feedback was given (epoch ms). */
  at: number;
  snapshots: readonly DaySnapshot[];
}

export interface EffectGroup {
  count: number;
  /** Mean change of the topic's mastery over the horizon; null without observations. */
  meanChange: number | null;
}

export interface Effect {
  horizonDays: number;
  completed: EffectGroup;
  dismissed: EffectGroup;
  /** Completed or dismissed less than the horizon ago: their week is not over yet. */
  pending: number;
}

/**
 * For recommendations marked completed and dismissed, the mean change of the topic's mastery from
 * the feedback to `EFFECT_HORIZON_DAYS` later, as rebuilt from the day snapshots. Observational:
 * students choose what to complete, so a difference between the groups is not the effect of
 * completing (the keen complete more and would have improved anyway).
 */
export function measureEffect(observations: readonly FeedbackObservation[], now: number, model: ModelPolicy): Effect {
  const horizonMs = EFFECT_HORIZON_DAYS * DAY_MS;
  const changes: Record<'completed' | 'dismissed', number[]> = { completed: [], dismissed: [] };
  let pending = 0;
  const masteryAt = (snapshots: readonly DaySnapshot[], at: number): number => {
    const c = componentsAsOf(snapshots, at, model);
    return c ? calculateMastery(c, model.thresholds).masteryScore : 0;
  };
  for (const o of observations) {
    if (o.status === 'accepted') continue;
    if (o.at + horizonMs > now) {
      pending++;
      continue;
    }
    changes[o.status].push(masteryAt(o.snapshots, o.at + horizonMs) - masteryAt(o.snapshots, o.at));
  }
  const group = (xs: number[]): EffectGroup => ({ count: xs.length, meanChange: xs.length === 0 ? null : Math.round((xs.reduce((a, x) => a + x, 0) / xs.length) * 10_000) / 10_000 });
  return { horizonDays: EFFECT_HORIZON_DAYS, completed: group(changes.completed), dismissed: group(changes.dismissed), pending };
}
