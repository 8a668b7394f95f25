import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { SETTING_NAMES } from '../../src/config/config';

describe('the README', () => {
  const readme = readFileSync('README.md', 'utf8');
  test.each(SETTING_NAMES)('documents the setting %s', (name) => {
    expect(readme).toContain(`| \`${name}\` |`);
  });
});
