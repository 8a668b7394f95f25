/**
 * The mastery formula. Weights are fixed by the product: finishing the material matters most,
 * then demonstrated understanding (quizzes), then the quality of the code written, then habit.
 */

export const COMPONENTS = ['completion', 'quiz', 'quality', 'consistency'] as const;
export type Component = (typeof COMPONENTS)[number];
export type Components = Record<Component, number>;

export const WEIGHTS: Readonly<Components> = Object.freeze({ completion: 0.4, quiz: 0.3, quality: 0.2, consistency: 0.1 });

export const LEVELS = ['novice', 'developing', 'proficient', 'mastered'] as const;
export type Level = (typeof LEVELS)[number];

/** Lower bounds of developing, proficient and mastered; ascending, each in (0, 1]. */
export type LevelThresholds = readonly [number, number, number];
export const DEFAULT_THRESHOLDS: LevelThresholds = [0.4, 0.6, 0.8];

export interface Mastery {
  masteryScore: number;
  level: Level;
  components: Components;
  contributions: Components;
}

/**
 * Scores are rounded to 4 decimals before the level is read, so that 0.8 computed as
 * 0.7999999999999999 by floating point still counts as mastered.
 */
const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

export function levelOf(score: number, thresholds: LevelThresholds): Level {
  if (score >= thresholds[2]) return 'mastered';
  if (score >= thresholds[1]) return 'proficient';
  if (score >= thresholds[0]) return 'developing';
  return 'novice';
}

export function calculateMastery(components: Components, thresholds: LevelThresholds = DEFAULT_THRESHOLDS): Mastery {
  const c: Components = {
    completion: clamp01(components.completion),
    quiz: clamp01(components.quiz),
    quality: clamp01(components.quality),
    consistency: clamp01(components.consistency),
  };
  const contributions: Components = {
    completion: round(c.completion * WEIGHTS.completion, 6),
    quiz: round(c.quiz * WEIGHTS.quiz, 6),
    quality: round(c.quality * WEIGHTS.quality, 6),
    consistency: round(c.consistency * WEIGHTS.consistency, 6),
  };
  const masteryScore = round(
    c.completion * WEIGHTS.completion + c.quiz * WEIGHTS.quiz + c.quality * WEIGHTS.quality + c.consistency * WEIGHTS.consistency,
    4,
  );
  return {
    masteryScore,
    level: levelOf(masteryScore, thresholds),
    components: {
      completion: round(c.completion, 6),
      quiz: round(c.quiz, 6),
      quality: round(c.quality, 6),
      consistency: round(c.consistency, 6),
    },
    contributions,
  };
}

/** Checks thresholds from configuration: strictly ascending and inside (0, 1]. */
export function validateThresholds(t: readonly number[]): string | undefined {
  if (t.length !== 3) return 'exactly three thresholds are needed (developing, proficient, mastered)';
  if (t.some((x) => !Number.isFinite(x) || x <= 0 || x > 1)) return 'each threshold must be in (0, 1]';
  if (!(t[0]! < t[1]! && t[1]! < t[2]!)) return 'thresholds must be strictly ascending';
  return undefined;
}
