import { describe, expect, test } from 'bun:test';
import { calculateMastery, levelOf, validateThresholds, WEIGHTS } from '../../src/domain/mastery/mastery';

describe('the mastery formula', () => {
  test('weighs completion 0.4, quiz 0.3, quality 0.2 and consistency 0.1', () => {
    const m = calculateMastery({ completion: 0.9, quiz: 0.8, quality: 0.7, consistency: 0.6 });
    expect(m.masteryScore).toBe(0.8); // 0.36 + 0.24 + 0.14 + 0.06
    expect(m.contributions).toEqual({ completion: 0.36, quiz: 0.24, quality: 0.14, consistency: 0.06 });
    expect(m.level).toBe('mastered');
  });

  test('the weights add up to one', () => {
    expect(WEIGHTS.completion + WEIGHTS.quiz + WEIGHTS.quality + WEIGHTS.consistency).toBeCloseTo(1, 12);
  });

  test.each([
    [{ completion: 1, quiz: 1, quality: 1, consistency: 1 }, 1, 'mastered'],
    [{ completion: 0, quiz: 0, quality: 0, consistency: 0 }, 0, 'novice'],
    [{ completion: 1, quiz: 0, quality: 0, consistency: 0 }, 0.4, 'developing'],
    [{ completion: 1, quiz: 0, quality: 1, consistency: 0 }, 0.6, 'proficient'],
    [{ completion: 0.5, quiz: 0.5, quality: 0.5, consistency: 0.5 }, 0.5, 'developing'],
  ] as const)('components %o score %d (%s)', (components, score, level) => {
    const m = calculateMastery(components);
    expect(m.masteryScore).toBe(score);
    expect(m.level).toBe(level);
  });

  test('clamps components into [0, 1]', () => {
    const m = calculateMastery({ completion: 1.5, quiz: -0.2, quality: 0.5, consistency: 0.5 });
    expect(m.components.completion).toBe(1);
    expect(m.components.quiz).toBe(0);
  });

  test('levels switch exactly at the thresholds', () => {
    const t = [0.4, 0.6, 0.8] as const;
    expect(levelOf(0.3999, t)).toBe('novice');
    expect(levelOf(0.4, t)).toBe('developing');
    expect(levelOf(0.5999, t)).toBe('developing');
    expect(levelOf(0.6, t)).toBe('proficient');
    expect(levelOf(0.7999, t)).toBe('proficient');
    expect(levelOf(0.8, t)).toBe('mastered');
  });

  test('custom thresholds move the levels', () => {
    expect(calculateMastery({ completion: 1, quiz: 1, quality: 0, consistency: 0 }, [0.5, 0.7, 0.9]).level).toBe('proficient');
  });

  test('threshold validation rejects unordered or out-of-range lists', () => {
    expect(validateThresholds([0.4, 0.6, 0.8])).toBeUndefined();
    expect(validateThresholds([0.6, 0.4, 0.8])).toContain('ascending');
    expect(validateThresholds([0, 0.6, 0.8])).toContain('(0, 1]');
    expect(validateThresholds([0.4, 0.6])).toContain('three');
  });
});
