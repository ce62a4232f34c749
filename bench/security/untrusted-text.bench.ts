/** Benchmark: the critique sanitizer and input redaction, MB/s against a plain copy baseline, same process. */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CritiqueSanitizer } from '../../src/security/index.js';

const ROUNDS = 20;
const ESC = '\u001b';

/** ~1 MiB of critique markdown with a little of everything the sanitizer removes. */
function critique(): string {
  const para = [
    '## Finding: retries are not idempotent',
    '',
    'The handler in `src/orders.ts` retries `POST /charge` three times; a timeout after the charge posts means',
    `a double charge. ${ESC}[1;31mSeverity: high${ESC}[0m. Fix: an idempotency key per order (\`Idempotency-Key\`).`,
    '',
    '| file | line | issue |',
    '|---|---|---|',
    '| orders.ts | 42 | retry without key |',
    '',
    'Key: findings above. token budget fine. API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z was in the diff.',
    '',
  ].join('\n');
  return para.repeat(Math.ceil((1024 * 1024) / para.length));
}

/** Adversarial: every introducer unterminated, long parameter runs, bidi floods (each ~1 MiB). */
function hostile(): string[] {
  return [
    `${ESC}]`.repeat(512 * 1024),
    `${ESC}[${'1;'.repeat(512 * 1024)}`,
    '\u202e'.repeat(1024 * 1024),
    `KEY=${'Ab1'.repeat(350_000)}`,
  ];
}

function mbPerSecond(bytes: number, ms: number): number {
  return Math.round((bytes / (1024 * 1024) / (ms / 1000)) * 10) / 10;
}

function time(fn: () => unknown): number {
  const start = performance.now();
  for (let i = 0; i < ROUNDS; i++) fn();
  return (performance.now() - start) / ROUNDS;
}

export async function run(): Promise<Record<string, number>> {
  const sanitizer = new CritiqueSanitizer({ FOO_API_KEY: 'canary-7f3a9c2e-value', ...process.env });
  const text = critique();
  const bytes = Buffer.byteLength(text);
  time(() => sanitizer.critique(text)); // warm-up
  const copyMs = time(() => Buffer.from(text).toString());
  const critiqueMs = time(() => sanitizer.critique(text));
  const inputMs = time(() => sanitizer.input(text));
  const hostileMs = Math.max(...hostile().map((h) => time(() => sanitizer.critique(h))));
  const result = {
    copyMBps: mbPerSecond(bytes, copyMs),
    critiqueMBps: mbPerSecond(bytes, critiqueMs),
    inputMBps: mbPerSecond(bytes, inputMs),
    critiqueMsPerMiB: Math.round(critiqueMs * 10) / 10,
    worstHostileMsPerMiB: Math.round(hostileMs * 10) / 10,
    critiqueOverCopyRatio: Math.round((critiqueMs / copyMs) * 10) / 10,
  };
  console.log(`security/untrusted-text: 1 MiB critique, ${ROUNDS} rounds each`);
  console.log(`  utf8 copy (baseline)   ${result.copyMBps} MB/s`);
  console.log(
    `  critique sanitizer     ${result.critiqueMBps} MB/s (${result.critiqueMsPerMiB} ms/MiB, ${result.critiqueOverCopyRatio}x baseline)`,
  );
  console.log(`  input redaction        ${result.inputMBps} MB/s`);
  console.log(`  worst hostile 1 MiB    ${result.worstHostileMsPerMiB} ms`);
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await run();
}
