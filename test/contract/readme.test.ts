// The README's config table is generated from the option registry; this keeps the two from drifting.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTable } from '../../scripts/config-table.js';

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('README', () => {
  it('starts with the two commands: install+run and test', () => {
    const firstBlock = readme.split('```')[1] ?? '';
    expect(firstBlock).toContain('npm ci && npm start');
    expect(firstBlock).toContain('npm test');
  });

  it('holds the current config table (regenerate: npx tsx scripts/config-table.ts --write)', () => {
    expect(readme).toContain(configTable());
  });
});
