// The request mix of a LearnFlow deployment, shared by every scenario:
//   60%  GET  /api/v1/students/{id}/mastery   a student reading their own mastery
//   15%  POST /api/v1/mastery/query           the same through the query endpoint
//   15%  POST /api/v1/events                  the platform (role service) sending 1-5 events
//   10%  POST /api/v1/mastery/calculate       what-if calculation, nothing stored
// Each student has their own token (student-0000 ... student-NNNN), so the per-principal rate
// limit and the per-student state are exercised as in production. Every response is checked.
import http from 'k6/http';
import { check, fail, sleep } from 'k6';
import { Trend } from 'k6/metrics';
import { bearer } from './jwt.js';

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8005').replace(/\/$/, '');
const STUDENTS = Number(__ENV.STUDENTS || 1000);
const THINK_MIN_S = Number(__ENV.THINK_MIN_S || 0.1);
const THINK_MAX_S = Number(__ENV.THINK_MAX_S || 0.4);
// Unique per run and VU, so event ids never repeat across runs against the same Redis.
const RUN_ID = __ENV.RUN_ID || String(Date.now());

const curriculum = JSON.parse(open('../../data/curriculum.json'));
const TOPICS = curriculum.topics.map((t) => ({ id: t.topic_id, lessons: t.lessons }));

// Per-endpoint latency (ms), reported in the summary next to the overall figures.
const latency = {
  read: new Trend('latency_read_mastery', true),
  query: new Trend('latency_query_mastery', true),
  events: new Trend('latency_ingest_events', true),
  calculate: new Trend('latency_calculate', true),
};

const pick = (arr) => arr[Math.floor(Math.random() * arr.length)];
export const studentId = (n) => `student-${String(n).padStart(4, '0')}`;
const randomStudent = () => studentId(Math.floor(Math.random() * STUDENTS));
const json = (r) => {
  try {
    return r.json();
  } catch (_) {
    return undefined;
  }
};

/** One valid learning event of a random type (docs/mastery-model.md; ids from data/curriculum.json). */
export function learningEvent(eventId, student, occurredAt) {
  const topic = pick(TOPICS);
  const base = { event_id: eventId, student_id: student, topic_id: topic.id, occurred_at: occurredAt };
  switch (Math.floor(Math.random() * 4)) {
    case 0:
      return { ...base, event_type: 'lesson.completed', data: { lesson_id: pick(topic.lessons) } };
    case 1:
      return { ...base, event_type: 'quiz.completed', data: { quiz_id: `${topic.id}.quiz-${1 + Math.floor(Math.random() * 3)}`, score: Math.round(Math.random() * 100) / 100 } };
    case 2:
      return { ...base, event_type: 'code.assessed', data: { submission_id: `sub-${eventId}`, quality_score: Math.round(Math.random() * 100) / 100 } };
    default:
      return { ...base, event_type: 'practice.session', data: { minutes: 5 + Math.floor(Math.random() * 55) } };
  }
}

const params = (auth, endpoint) => ({
  headers: { Authorization: auth, 'Content-Type': 'application/json' },
  tags: { phase: 'run', endpoint },
});

function readOwnMastery() {
  const id = randomStudent();
  const r = http.get(`${BASE_URL}/api/v1/students/${id}/mastery`, {
    ...params(bearer(id, 'student'), 'read'),
    tags: { phase: 'run', endpoint: 'read', name: 'GET /api/v1/students/{id}/mastery' },
  });
  latency.read.add(r.timings.duration);
  check(r, {
    'read: status 200': (x) => x.status === 200,
    'read: own student_id': (x) => json(x)?.student_id === id,
  });
}

function queryMastery() {
  const id = randomStudent();
  const body = Math.random() < 0.5 ? { student_id: id } : { student_id: id, topic_ids: [pick(TOPICS).id] };
  const r = http.post(`${BASE_URL}/api/v1/mastery/query`, JSON.stringify(body), params(bearer(id, 'student'), 'query'));
  latency.query.add(r.timings.duration);
  check(r, {
    'query: status 200': (x) => x.status === 200,
    'query: has overall level': (x) => typeof json(x)?.overall?.level === 'string',
  });
}

function ingestEvents() {
  const n = 1 + Math.floor(Math.random() * 5);
  const now = new Date().toISOString();
  const events = [];
  for (let i = 0; i < n; i += 1) events.push(learningEvent(`k6-${RUN_ID}-${__VU}-${__ITER}-${i}`, randomStudent(), now));
  const r = http.post(`${BASE_URL}/api/v1/events`, JSON.stringify(events), params(bearer('learnflow-platform', 'service'), 'events'));
  latency.events.add(r.timings.duration);
  check(r, {
    'events: status 202': (x) => x.status === 202,
    'events: all applied': (x) => {
      const b = json(x);
      return b?.received === n && b.applied === n && b.rejected === 0;
    },
  });
}

function calculate() {
  const id = randomStudent();
  const c = () => Math.round(Math.random() * 100) / 100;
  const body = { components: { completion: c(), quiz: c(), quality: c(), consistency: c() } };
  const r = http.post(`${BASE_URL}/api/v1/mastery/calculate`, JSON.stringify(body), params(bearer(id, 'student'), 'calculate'));
  latency.calculate.add(r.timings.duration);
  check(r, {
    'calculate: status 200': (x) => x.status === 200,
    'calculate: has mastery_score': (x) => typeof json(x)?.mastery_score === 'number',
  });
}

/** One user action, then think time (uniform THINK_MIN_S..THINK_MAX_S, mean 0.25 s). */
export function userAction() {
  const p = Math.random();
  if (p < 0.6) readOwnMastery();
  else if (p < 0.75) queryMastery();
  else if (p < 0.9) ingestEvents();
  else calculate();
  sleep(THINK_MIN_S + Math.random() * (THINK_MAX_S - THINK_MIN_S));
}

/**
 * Gives every student one or two events before the run, so reads return real topics. Batches of
 * 200 stay under the 64 KiB body limit. Not part of the measured traffic (tag phase=setup).
 */
export function seed() {
  const r0 = http.get(`${BASE_URL}/ready`, { tags: { phase: 'setup' } });
  if (r0.status !== 200) fail(`service not ready at ${BASE_URL}: ${r0.status} ${r0.body}`);
  const now = new Date().toISOString();
  let batch = [];
  const flush = () => {
    const r = http.post(`${BASE_URL}/api/v1/events`, JSON.stringify(batch), {
      headers: { Authorization: bearer('learnflow-platform', 'service'), 'Content-Type': 'application/json' },
      tags: { phase: 'setup' },
    });
    if (r.status !== 202 || json(r)?.rejected !== 0) fail(`seeding failed: ${r.status} ${String(r.body).slice(0, 500)}`);
    batch = [];
  };
  for (let s = 0; s < STUDENTS; s += 1) {
    for (let k = 0; k < 1 + (s % 2); k += 1) batch.push(learningEvent(`k6-seed-${RUN_ID}-${s}-${k}`, studentId(s), now));
    if (batch.length >= 200) flush();
  }
  if (batch.length > 0) flush();
  return { seededStudents: STUDENTS };
}
