import { describe, expect, test } from 'bun:test';
import { percentile } from '../../src/domain/analytics/statistics';
import { bearer, event, testApp } from '../support/http';

type App = ReturnType<typeof testApp>;
const HISTORY = '/api/v1/analytics/mastery-history';
const COMPARE = '/api/v1/analytics/compare';

async function ingest(call: App['call'], events: Record<string, unknown>[]) {
  const res = await call('POST', '/api/v1/events', { body: events, headers: await bearer('service', 'platform') });
  expect(res.json.applied).toBe(events.length);
}

/** student-1: python-basics on Jan 14 (two events) and Jan 16, oop on Jan 18. */
async function withHistory() {
  const t = testApp();
  await ingest(t.call, [
    event({ occurred_at: '2026-01-14T09:00:00Z', data: { quiz_id: 'q1', score: 0.5 } }),
    event({ occurred_at: '2026-01-14T10:00:00Z', event_type: 'lesson.completed', data: { lesson_id: 'python-basics.intro' } }),
    event({ occurred_at: '2026-01-16T10:00:00Z', data: { quiz_id: 'q2', score: 1 } }),
    event({ occurred_at: '2026-01-18T10:00:00Z', topic_id: 'oop', data: { quiz_id: 'q3', score: 0.6 } }),
  ]);
  return t;
}

const historyBody = (over: Record<string, unknown> = {}) => ({ student_id: 'student-1', from: '2026-01-12', to: '2026-01-20', granularity: 'daily', ...over });

describe('mastery history', () => {
  test('one point per day, each the value at its end: none missing, none copied, consistency fading on idle days', async () => {
    const { call } = await withHistory();
    const res = await call('POST', HISTORY, { body: historyBody(), headers: await bearer('student', 'student-1') });
    expect(res.status).toBe(200);
    const points = res.json.points;
    expect(points.map((p: { period_start: string }) => p.period_start)).toEqual(['12', '13', '14', '15', '16', '17', '18', '19', '20'].map((d) => `2026-01-${d}`));
    expect(points.map((p: { events: number }) => p.events)).toEqual([0, 0, 2, 0, 1, 0, 1, 0, 0]);
    expect(points.map((p: { active_days: number }) => p.active_days)).toEqual([0, 0, 1, 0, 1, 0, 1, 0, 0]);
    // Before any event: 0. Jan 14: completion 1/5, quiz 0.5, one active day in 14 → 0.08 + 0.15 + 0.00714 = 0.2371.
    expect(points[0]).toMatchObject({ mastery_score: 0, level: 'novice' });
    expect(points[2].mastery_score).toBe(0.2371);
    // Jan 18 and later: the mean of python-basics and oop, oop counted from Jan 18.
    expect(points[5].components.consistency).toBe(0.142857);
    expect(res.json.summary).toMatchObject({ first: 0, active_days: 3, longest_streak_days: 1 });
    // Today's point is what /mastery/query answers now.
    const now = await call('POST', '/api/v1/mastery/query', { body: { student_id: 'student-1' }, headers: await bearer('student', 'student-1') });
    expect(points[8].mastery_score).toBe(now.json.overall.mastery_score);
    expect(res.json.summary.last).toBe(now.json.overall.mastery_score);
  });

  test('one topic, by ISO week and by month', async () => {
    const { call } = await withHistory();
    const admin = await bearer('admin', 'admin-1');
    const weekly = await call('POST', HISTORY, { body: historyBody({ granularity: 'weekly', topic_id: 'python-basics' }), headers: admin });
    expect(weekly.status).toBe(200);
    expect(weekly.json.topic_id).toBe('python-basics');
    // Jan 12 is a Monday; Jan 19 the next.
    expect(weekly.json.points.map((p: { period_start: string; events: number; active_days: number }) => [p.period_start, p.events, p.active_days])).toEqual([
      ['2026-01-12', 3, 2],
      ['2026-01-19', 0, 0],
    ]);
    const monthly = await call('POST', HISTORY, { body: historyBody({ granularity: 'monthly', from: '2025-12-20' }), headers: admin });
    expect(monthly.json.points.map((p: { period_start: string }) => p.period_start)).toEqual(['2025-12-20', '2026-01-01']);
    expect(monthly.json.points[1].events).toBe(4);
  });

  test.each([
    [{ from: '2026-01-21', to: '2026-01-20' }, 'from'],
    [{ from: '2025-01-19', to: '2026-01-20' }, 'to'],
    [{ from: '2026-02-30' }, 'from'],
    [{ from: 'last monday' }, 'from'],
    [{ to: '2026-01-21' }, 'to'],
    [{ topic_id: 'no-such-topic' }, 'topic_id'],
    [{ granularity: 'hourly' }, 'granularity'],
  ])('%p answers 400 naming %s', async (over, field) => {
    const { call } = testApp();
    const res = await call('POST', HISTORY, { body: historyBody(over), headers: await bearer('admin', 'admin-1') });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('validation_failed');
    expect(res.json.error.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  test('who may read: the student, their teacher, admins and services; nobody else; every read audited', async () => {
    const { call, auditLog } = await withHistory();
    const admin = await bearer('admin', 'admin-1');
    await call('POST', '/api/v1/cohorts', { body: { cohort_id: 'c1', name: 'A', teacher_ids: ['teacher-1'], student_ids: ['student-1'] }, headers: admin });
    const status = async (role: 'student' | 'teacher' | 'admin' | 'service', sub: string) => (await call('POST', HISTORY, { body: historyBody(), headers: await bearer(role, sub) })).status;
    expect(await status('student', 'student-1')).toBe(200);
    expect(await status('student', 'student-2')).toBe(403);
    expect(await status('teacher', 'teacher-1')).toBe(200);
    expect(await status('teacher', 'teacher-2')).toBe(403);
    expect(await status('admin', 'admin-1')).toBe(200);
    expect(await status('service', 'platform')).toBe(200);
    expect((await call('POST', HISTORY, { body: historyBody() })).status).toBe(401);
    await Bun.sleep(20);
    const entries = (await auditLog.list({ tenantId: 'default' })).filter((e) => e.action === 'analytics.history');
    expect(entries.map((e) => e.outcome)).toEqual(['success', 'denied', 'success', 'denied', 'success', 'success']);
  });
});

/** Quiz scores for c1's six students: their mastery is 0.3 × score + 1/140 (one active day), rounded. */
const C1 = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
const scoreOf = (q: number) => Math.round((0.3 * q + 0.1 / 14) * 10_000) / 10_000;

async function withCohorts() {
  const t = testApp();
  const admin = await bearer('admin', 'admin-1');
  const c1 = C1.map((_, i) => `a${i}`);
  const c2 = ['b0', 'b1', 'b2', 'b3', 'b4'];
  const small = ['s0', 's1', 's2'];
  await ingest(t.call, [
    ...C1.map((q, i) => event({ student_id: c1[i], data: { quiz_id: 'q', score: q } })),
    ...c2.map((s, i) => event({ student_id: s, data: { quiz_id: 'q', score: 0.7 + i * 0.05 } })),
    ...small.map((s) => event({ student_id: s, data: { quiz_id: 'q', score: 0.9 } })),
    event({ student_id: 'outsider', data: { quiz_id: 'q', score: 1 } }),
  ]);
  const cohort = (id: string, teachers: string[], students: string[]) => t.call('POST', '/api/v1/cohorts', { body: { cohort_id: id, name: id, teacher_ids: teachers, student_ids: students }, headers: admin });
  await cohort('c1', ['teacher-1'], c1);
  await cohort('c2', ['teacher-1'], c2);
  await cohort('small', ['teacher-1', 'teacher-2'], small);
  await cohort('other', ['teacher-2'], ['outsider']);
  return { ...t, admin };
}

describe('cohort comparison', () => {
  test('figures of two cohorts by hand, and Welch’s test between them', async () => {
    const { call } = await withCohorts();
    const res = await call('POST', COMPARE, { body: { cohort_id: 'c1', compare_to: { cohort_id: 'c2' } }, headers: await bearer('teacher', 'teacher-1') });
    expect(res.status).toBe(200);
    const [c1, c2] = res.json.cohorts;
    const scores = C1.map(scoreOf); // 0.0371, 0.0671, …, 0.1871
    expect(c1).toMatchObject({ cohort_id: 'c1', n: 6, suppressed: false, excluded_no_consent: 0, mean: 0.1121, median: 0.1121 });
    // p10: h = 5 × 0.1 = 0.5, halfway between 0.0371 and 0.0671; p75: h = 3.75.
    expect(c1.percentiles).toEqual({ p10: 0.0521, p25: 0.0746, p50: 0.1121, p75: 0.1496, p90: 0.1721 });
    expect(c1.percentiles.p75).toBeCloseTo(percentile(scores, 75), 6);
    expect(c1.std_dev).toBeCloseTo(0.3 * Math.sqrt(0.035), 6); // quiz scores 0.1…0.6 have sample variance 0.035
    expect(c1.components.quiz).toEqual({ mean: 0.35, median: 0.35 });
    expect(c1.topics).toEqual([{ topic_id: 'python-basics', n: 6, mean: 0.1121 }]);
    expect(c2.n).toBe(5);
    expect(res.json.comparison.test).toBe('welch_t');
    expect(res.json.comparison.difference).toBeCloseTo(0.1121 - c2.mean, 6);
    // scipy.stats.ttest_ind(c1, c2, equal_var=False) on the same scores: t = −5.3468, df = 6.9723.
    expect(res.json.comparison.p_value).toBeCloseTo(0.001081758989323654, 12);
    // Pooled variance (5 × 0.00315 + 4 × 0.0005625) / 9 = 0.002: d = −0.135 / √0.002.
    expect(res.json.comparison.effect_size).toBeCloseTo(-0.135 / Math.sqrt(0.002), 5);
    expect(res.json.student).toBeUndefined();
  });

  test('students who withdrew consent are left out and counted; a group left too small shows its size only', async () => {
    const { call, admin } = await withCohorts();
    await call('PUT', '/api/v1/compliance/consent/a5', { body: { analytics: false }, headers: admin });
    await call('PUT', '/api/v1/compliance/consent/b0', { body: { analytics: false }, headers: admin });
    const res = await call('POST', COMPARE, { body: { cohort_id: 'c1', compare_to: { cohort_id: 'c2' } }, headers: admin });
    const [c1, c2] = res.json.cohorts;
    expect(c1).toMatchObject({ n: 5, excluded_no_consent: 1, suppressed: false, mean: 0.0971 });
    expect(c2).toEqual({ cohort_id: 'c2', n: 4, suppressed: true });
    expect(res.json.comparison).toBeUndefined();
  });

  test('a cohort below ANALYTICS_MIN_GROUP_SIZE answers suppressed with n only, and no rank within it', async () => {
    const { call } = await withCohorts();
    const res = await call('POST', COMPARE, { body: { cohort_id: 'small', compare_to: { student_id: 's0' } }, headers: await bearer('teacher', 'teacher-2') });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ cohorts: [{ cohort_id: 'small', n: 3, suppressed: true }], student: { student_id: 's0', withheld: 'cohort_suppressed' } });
  });

  test('a student’s rank: below plus half of the equal, themselves among them; only their own figures', async () => {
    const { call, admin } = await withCohorts();
    const teacher = await bearer('teacher', 'teacher-1');
    const res = await call('POST', COMPARE, { body: { cohort_id: 'c1', compare_to: { student_id: 'a2' } }, headers: teacher });
    // a2 scored 0.0971: two below, one equal (a2) of six → 2.5 / 6.
    expect(res.json.student).toMatchObject({ student_id: 'a2', mastery_score: 0.0971, percentile_rank: 41.666667 });
    expect(res.json.student.components.quiz).toEqual({ value: 0.3, percentile_rank: 41.666667 });
    // Everyone has one active day: all equal, all at 50.
    expect(res.json.student.components.consistency.percentile_rank).toBe(50);
    expect(res.json.comparison).toBeUndefined();
    // A student outside the cohort joins the population for the rank: above all six → 6.5 / 7.
    const outside = await call('POST', COMPARE, { body: { cohort_id: 'c1', compare_to: { student_id: 'b4' } }, headers: teacher });
    expect(outside.json.student.percentile_rank).toBe(92.857143);
    expect(outside.json.cohorts[0].n).toBe(6);
    // A student who withdrew consent is not ranked.
    await call('PUT', '/api/v1/compliance/consent/a2', { body: { analytics: false }, headers: admin });
    const withdrawn = await call('POST', COMPARE, { body: { cohort_id: 'c1', compare_to: { student_id: 'a2' } }, headers: teacher });
    expect(withdrawn.json.student).toEqual({ student_id: 'a2', withheld: 'no_consent' });
  });

  test('over chosen topics, a topic without events scores 0', async () => {
    const { call, admin } = await withCohorts();
    const topicIds = ['python-basics', 'oop'];
    const res = await call('POST', COMPARE, { body: { cohort_id: 'c1', topic_ids: topicIds }, headers: admin });
    // Each student's value is what /mastery/query answers for the same topics.
    const own = await Promise.all(C1.map(async (_, i) => (await call('POST', '/api/v1/mastery/query', { body: { student_id: `a${i}`, topic_ids: topicIds }, headers: admin })).json.overall.mastery_score));
    expect(own[0]).toBe(Math.round(scoreOf(0.1) * 5000) / 10_000);
    expect(res.json.cohorts[0].mean).toBeCloseTo(own.reduce((x, y) => x + y, 0) / 6, 6);
    expect(res.json.cohorts[0].topics).toEqual([
      { topic_id: 'oop', n: 6, mean: 0 },
      { topic_id: 'python-basics', n: 6, mean: 0.1121 },
    ]);
  });

  test('who may compare: teachers their cohorts and students, admins and services; everyone else finds no cohort', async () => {
    const { call, auditLog } = await withCohorts();
    const status = async (role: 'student' | 'teacher' | 'admin' | 'service', sub: string, body: Record<string, unknown>, tenant?: string) =>
      (await call('POST', COMPARE, { body, headers: await bearer(role, sub, tenant) })).status;
    expect(await status('teacher', 'teacher-1', { cohort_id: 'c1' })).toBe(200);
    expect(await status('teacher', 'teacher-2', { cohort_id: 'c1' })).toBe(404);
    expect(await status('teacher', 'teacher-1', { cohort_id: 'c1', compare_to: { cohort_id: 'other' } })).toBe(404);
    expect(await status('teacher', 'teacher-1', { cohort_id: 'c1', compare_to: { student_id: 'outsider' } })).toBe(403);
    expect(await status('teacher', 'teacher-1', { cohort_id: 'missing' })).toBe(404);
    expect(await status('student', 'a0', { cohort_id: 'c1' })).toBe(404);
    expect(await status('admin', 'admin-1', { cohort_id: 'c1', compare_to: { student_id: 'outsider' } })).toBe(200);
    expect(await status('service', 'platform', { cohort_id: 'c1' })).toBe(200);
    expect(await status('admin', 'admin-1', { cohort_id: 'c1' }, 'other-tenant')).toBe(404);
    await Bun.sleep(20);
    const entries = (await auditLog.list({ tenantId: 'default' })).filter((e) => e.action === 'analytics.compare');
    expect(entries.map((e) => e.outcome)).toEqual(['success', 'denied', 'denied', 'denied', 'denied', 'denied', 'success', 'success', 'success']);
  });

  test.each([
    [{ cohort_id: 'c1', topic_ids: ['nope'] }, 'topic_ids'],
    [{ cohort_id: 'c1', compare_to: { cohort_id: 'c2', student_id: 'a1' } }, 'compare_to'],
    [{ cohort_id: 'c1', topic_ids: [] }, 'topic_ids'],
    [{ cohort: 'c1' }, 'cohort_id'],
  ])('%p answers 400 naming %s', async (body, field) => {
    const { call, admin } = await withCohorts();
    const res = await call('POST', COMPARE, { body, headers: admin });
    expect(res.status).toBe(400);
    expect(res.json.error.details.map((d: { field: string }) => d.field).join(' ')).toContain(field);
  });
});
