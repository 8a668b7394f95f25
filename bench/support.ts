/** What the benches share: the curriculum, a realistic event mix, and their sections of docs/benchmarks.md. */
import { readFileSync, writeFileSync } from 'node:fs';
import type Redis from 'ioredis';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { DAY_MS } from '../src/domain/mastery/topic-state';
import { shippedCurricula, shippedCurriculum } from '../tests/support/curriculum';

export const ROOT = join(import.meta.dir, '..');

export const curriculum = shippedCurriculum;
/** The engine's view of it: every bench tenant on the shipped file. */
export const curricula = shippedCurricula();
export const topics = [...curriculum.topics.values()];

/**
 * Event `i` of a run: a third lessons, a third quizzes, the rest code reviews and practice,
 * spread over `students` and every topic, over the six days before `now` (inside the window
 * of IDEMPOTENCY_RETENTION_DAYS=7 in which events are accepted).
 */
export function benchEvent(run: string, i: number, students: number, now: number) {
  const topic = topics[i % topics.length]!;
  const base = {
    event_id: `${run}-${i}`,
    student_id: `s${i % students}`,
    topic_id: topic.topicId,
    occurred_at: new Date(now - 6 * DAY_MS + (i % 6) * DAY_MS + (i % 3600) * 1000).toISOString(),
  };
  switch (i % 6) {
    case 0:
    case 1:
      return { ...base, event_type: 'lesson.completed', data: { lesson_id: topic.lessons[i % topic.lessons.length] } };
    case 2:
    case 3:
      return { ...base, event_type: 'quiz.completed', data: { quiz_id: `q${i}`, score: (i % 10) / 10 } };
    case 4:
      return { ...base, event_type: 'code.assessed', data: { submission_id: `c${i}`, quality_score: (i % 7) / 7 } };
    default:
      return { ...base, event_type: 'practice.session', data: { minutes: 20 } };
  }
}

/** Replaces one bench's marked section of docs/benchmarks.md, keeping the sections other benches write. */
export function writeBenchSection(name: string, section: string, command: string): void {
  const file = join(ROOT, 'docs/benchmarks.md');
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  let doc: string;
  try {
    doc = readFileSync(file, 'utf8');
  } catch {
    doc =
      '# Benchmarks\n\nProduced by `bun run bench` (which starts the real services it needs). Every figure is measured against a baseline in the same run, because absolute numbers on a shared 2-core machine move from run to run; the ratios are what the targets are about.\n\n';
  }
  const stamp = `_Last run: ${new Date().toISOString()}, Bun ${Bun.version}, ${cpus().length} CPUs. Command: \`${command}\`._\n\n`;
  const block = `${begin}\n${section}\n${stamp}${end}`;
  doc = doc.includes(begin) ? doc.replace(new RegExp(`${begin}[\\s\\S]*?${end}`), block) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, doc);
}

/** Deletes every key matching the patterns (a bench's own tenant), by SCAN: never KEYS on a shared server. */
export async function deleteKeys(redis: Redis, patterns: readonly string[]): Promise<void> {
  for (const pattern of patterns) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  }
}
