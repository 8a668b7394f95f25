import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCurriculum, unknownTopicsOf } from '../../src/domain/mastery/curriculum';
import { shippedCurriculum } from '../support/curriculum';

const topic = (id: string, prerequisites: string[] = []) => ({ topic_id: id, lessons: [`${id}-1`], prerequisites });
const errorsOf = (raw: unknown): string[] => {
  const r = parseCurriculum(raw);
  return r.ok ? [] : r.errors;
};

describe('prerequisite cycles in the curriculum', () => {
  test('a cycle is refused, named from where it starts back to itself', () => {
    expect(errorsOf({ topics: [topic('a', ['c']), topic('b', ['a']), topic('c', ['b']), topic('d', ['a'])] })).toEqual([
      'prerequisites form a cycle: a -> c -> b -> a (a learning path could never start it)',
    ]);
  });

  test('a topic that is its own prerequisite is a cycle', () => {
    expect(errorsOf({ topics: [topic('a'), topic('b', ['a', 'b'])] })).toEqual(['prerequisites form a cycle: b -> b (a learning path could never start it)']);
  });

  test('shared prerequisites (a diamond) are not a cycle', () => {
    expect(errorsOf({ topics: [topic('a'), topic('b', ['a']), topic('c', ['a']), topic('d', ['b', 'c'])] })).toEqual([]);
  });

  test('the service refuses to start on a curriculum with a cycle and says why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'curriculum-'));
    const file = join(dir, 'cyclic.json');
    writeFileSync(file, JSON.stringify({ topics: [topic('a', ['b']), topic('b', ['a'])] }));
    const run = Bun.spawnSync([process.execPath, 'src/main.ts'], {
      cwd: join(import.meta.dir, '..', '..'),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CURRICULUM_FILE: file, PORT: '0', LOG_LEVEL: 'silent' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr.toString()).toContain(`CURRICULUM_FILE (${file}): prerequisites form a cycle: a -> b -> a`);
  });
});

describe('unknown topics in a request', () => {
  test('names every id the curriculum lacks, in the order asked, and nothing when all are known or none asked', () => {
    expect(unknownTopicsOf(shippedCurriculum, ['nope', 'python-basics', 'also-nope'])).toEqual({ kind: 'unknown_topics', topicIds: ['nope', 'also-nope'] });
    expect(unknownTopicsOf(shippedCurriculum, ['python-basics', 'functions'])).toBeUndefined();
    expect(unknownTopicsOf(shippedCurriculum, undefined)).toBeUndefined();
  });
});
