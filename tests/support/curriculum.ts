import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CachedCurriculumSource } from '../../src/adapters/memory/curriculum-source.cached';
import { MemoryCurriculumStore } from '../../src/adapters/memory/curriculum-store.memory';
import { parseCurriculum, type Curriculum } from '../../src/domain/mastery/curriculum';
import type { CurriculumStore } from '../../src/ports/curriculum-store.port';

/** The curriculum the service ships (data/curriculum.json), for tests and benches. */
export const shippedCurriculum: Curriculum = (() => {
  const r = parseCurriculum(JSON.parse(readFileSync(join(import.meta.dir, '..', '..', 'data', 'curriculum.json'), 'utf8')));
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.curriculum;
})();

/** Every tenant's curriculum as the service wires it: the shipped file until a tenant stores its own. */
export const shippedCurricula = (store: CurriculumStore = new MemoryCurriculumStore()) =>
  new CachedCurriculumSource({ store, clock: { now: () => Date.now() }, shipped: shippedCurriculum, refreshMs: 1000 });
