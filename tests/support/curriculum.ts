import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCurriculum, type Curriculum } from '../../src/domain/mastery/curriculum';

/** The curriculum the service ships (data/curriculum.json), for tests and benches. */
export const shippedCurriculum: Curriculum = (() => {
  const r = parseCurriculum(JSON.parse(readFileSync(join(import.meta.dir, '..', '..', 'data', 'curriculum.json'), 'utf8')));
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.curriculum;
})();
