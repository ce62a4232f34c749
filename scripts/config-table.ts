// Writes the README's configuration table from the option registry (src/config/options.ts).
// Usage: tsx scripts/config-table.ts [--write]  (without --write it prints the table)
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { OPTIONS, ORDER_RULES } from '../src/engine/config.js';

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

function show(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '(empty)' : `\`${value.join(',')}\``;
  if (value === '') return '(empty)';
  if (typeof value === 'object' && value !== null) return `\`${JSON.stringify(value)}\``;
  return `\`${String(value)}\``;
}

/** The rule between options (src/config/rules.ts) an option is bound by, as a sentence, or ''. */
function bound(name: string): string {
  const rule = ORDER_RULES.find((r) => r.option === name);
  if (!rule) return '';
  const follows = rule.is === 'at most' ? 'lower' : 'higher';
  return ` ${rule.is === 'at most' ? 'At most' : 'At least'} \`${rule.limit}\` (left unset, it follows a ${follows} \`${rule.limit}\`).`;
}

export function configTable(): string {
  const rows = ['| option (file key) | env variable | default | meaning |', '|---|---|---|---|'];
  for (const [name, spec] of Object.entries(OPTIONS)) {
    const meaning = `${spec.description}${bound(name)}`.replaceAll('|', '\\|');
    rows.push(`| \`${name}\` | \`${spec.env}\` | ${show(spec.default)} | ${meaning} |`);
  }
  return `${START}\n${rows.join('\n')}\n${END}`;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  if (process.argv.includes('--write')) {
    const path = resolve(import.meta.dirname, '../README.md');
    const readme = readFileSync(path, 'utf8');
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    if (start < 0 || end < 0) throw new Error('README.md has no config-table markers');
    writeFileSync(path, readme.slice(0, start) + configTable() + readme.slice(end + END.length));
  } else {
    console.log(configTable());
  }
}
