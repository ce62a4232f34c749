/** Fuzz: config parsing (env strings, file values, file text) yields a frozen config or CONFIG_INVALID, never a leak. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { OPTION_NAMES, OPTIONS, readConfigFile, resolveConfig } from '../../src/engine/config.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { leaksInternals, useFuzzSeed } from '../support/fuzz.js';

useFuzzSeed('config');

const SECRET_OPTIONS = OPTION_NAMES.filter((name) => OPTIONS[name].secret !== undefined);
const ENV_NAMES = OPTION_NAMES.map((name) => OPTIONS[name].env);
const dir = mkdtempSync(join(tmpdir(), 'brutalist-fuzz-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Env text an operator might type: numbers in and out of range, yes/no words, lists, junk. */
const envText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer({ min: -10, max: 10 ** 12 }).map(String),
  fc.constantFrom(
    'true',
    'no',
    'ON',
    ' 1 ',
    '0x10',
    '1e3',
    '',
    ',',
    'a,,b',
    'claude,codex',
    '-1',
    '9'.repeat(30),
  ),
);

/** Any JSON value a config file could hold for one option. */
const jsonValue = fc.jsonValue({ maxDepth: 2 });

/** The outcome of resolving: 'ok' (and the config is frozen), or the CONFIG_INVALID error; anything else fails. */
function resolveOutcome(
  input: Parameters<typeof resolveConfig>[0],
): 'ok' | { option: unknown; message: string } {
  try {
    const config = resolveConfig(input);
    expect(Object.isFrozen(config)).toBe(true);
    return 'ok';
  } catch (err) {
    expect(isBrutalistError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('CONFIG_INVALID');
    return { option: (err as { data: { option?: unknown } }).data.option, message: (err as Error).message };
  }
}

describe('config parsing under fuzz', () => {
  it('turns any BRUTALIST_* env into a frozen config or CONFIG_INVALID naming a real option', () => {
    const env = fc.dictionary(fc.constantFrom(...ENV_NAMES), envText, { maxKeys: 6 });
    fc.assert(
      fc.property(env, (e) => {
        const result = resolveOutcome({ env: e });
        if (result !== 'ok') expect(OPTION_NAMES).toContain(result.option);
      }),
    );
  });

  it('turns any config file object into a frozen config or CONFIG_INVALID naming the offending key', () => {
    const key = fc.oneof(fc.constantFrom(...OPTION_NAMES), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.dictionary(key, jsonValue, { maxKeys: 4 }), (file) => {
        const result = resolveOutcome({ file });
        if (result !== 'ok') expect([...OPTION_NAMES, ...Object.keys(file)]).toContain(result.option);
      }),
    );
  });

  it('never echoes the value given for a secret option, whatever its type', () => {
    const secretText = fc.string({ minLength: 12, maxLength: 30 }).map((s) => `s3cret-${s}`);
    const wrapped = fc.oneof(
      secretText.map((s) => [s]),
      secretText.map((s) => ({ value: s })),
      fc.integer({ min: 10 ** 9, max: 10 ** 12 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...SECRET_OPTIONS), wrapped, (option, value) => {
        const result = resolveOutcome({ file: { [option]: value } });
        expect(result).not.toBe('ok');
        const shown = typeof value === 'number' ? String(value) : JSON.stringify(value).slice(2, 20);
        expect((result as { message: string }).message).not.toContain(shown);
      }),
      // Kept regression examples: a number for cursorSecret and a list holding a Redis URL were echoed.
      {
        examples: [
          ['cursorSecret', 123_456_789_012],
          ['redisUrl', ['redis://user:hunter2@redis:6379']],
        ],
      },
    );
  });

  it('reads any config file text as an object or CONFIG_INVALID, never naming the file', () => {
    const path = join(dir, 'config.json');
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.json({ maxDepth: 2 }),
      fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    );
    fc.assert(
      fc.property(text, (t) => {
        writeFileSync(path, t);
        try {
          const parsed = readConfigFile(path, true);
          expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
        } catch (err) {
          expect(isBrutalistError(err)).toBe(true);
          expect((err as { code: string }).code).toBe('CONFIG_INVALID');
          expect(leaksInternals((err as Error).message, [dir])).toBe(false);
        }
      }),
    );
  });
});
