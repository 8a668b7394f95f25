import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const SRC = join(import.meta.dir, '..', '..', 'src');
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
const importsOf = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
const rel = (file: string) => relative(SRC, file);

/** The hexagon's rules, checked on every file, so a shortcut fails the build instead of a review. */
describe('architecture', () => {
  test('the domain imports only the domain and the ports', () => {
    const offenders = filesUnder(join(SRC, 'domain')).flatMap((f) =>
      importsOf(f)
        .filter((i) => !i.startsWith('.') || !/^(domain|ports)\//.test(relative(SRC, join(dirname(f), i))))
        .map((i) => `${rel(f)} -> ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  test('the domain reads no clock, randomness or environment', () => {
    const offenders = filesUnder(join(SRC, 'domain')).filter((f) => /Date\.now\(|new Date\(\)|Math\.random\(|process\.env|Bun\.env/.test(readFileSync(f, 'utf8')));
    expect(offenders.map(rel)).toEqual([]);
  });

  test('ports import only the domain and other ports', () => {
    const offenders = filesUnder(join(SRC, 'ports')).flatMap((f) =>
      importsOf(f)
        .filter((i) => !i.startsWith('./') && !i.startsWith('../domain/'))
        .map((i) => `${rel(f)} -> ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  test('only the config module and the composition root see the environment', () => {
    const offenders = filesUnder(SRC).filter((f) => !['config/config.ts', 'main.ts'].includes(rel(f)) && /process\.env|Bun\.env/.test(readFileSync(f, 'utf8')));
    expect(offenders.map(rel)).toEqual([]);
  });
});
