/** Fuzz: tool arguments parse to typed args or INVALID_ARGUMENT / INPUT_TOO_LARGE, bounded, never echoing a value. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { buildTools, parseToolArgs, type ToolName } from '../../src/mcp/tools.js';
import { useFuzzSeed } from '../support/fuzz.js';

useFuzzSeed('tool-args');

const LIMITS = { maxContextChars: 50, maxFieldChars: 20 } as const;
const TOOLS = buildTools(LIMITS);
const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];
/** Every argument name some tool advertises, so the fuzzer mostly hits real keys. */
const KEYS = [
  ...new Set(TOOL_NAMES.flatMap((t) => Object.keys(TOOLS[t].definition.inputSchema.properties ?? {}))),
];
/** String values carry a marker so a message that echoes one is caught. */
const MARK = 'VAL\u00b7';
const value = fc.oneof(
  fc.string({ maxLength: 60 }).map((s) => MARK + s),
  fc.constantFrom('idea', 'codebase', 'claude', 'codex', 'gemini', 'batch', 'critical'),
  fc.integer({ min: -5, max: 200_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.constantFrom('claude', 'codex', 'gemini', 'nope', 1), { maxLength: 4 }),
  fc.dictionary(fc.constantFrom('claude', 'codex', 'x'), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
);
const args = fc.oneof(
  fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), value, { maxKeys: 6 }),
  fc.anything({ maxDepth: 2 }),
);

function parseOutcome(tool: ToolName, raw: unknown) {
  try {
    return { ok: parseToolArgs(tool, raw, TOOLS) } as const;
  } catch (err) {
    expect(isBrutalistError(err)).toBe(true);
    return { err: err as { code: string; message: string; data: Record<string, unknown> } } as const;
  }
}

describe('tool arguments under fuzz', () => {
  it('parse or fail with INVALID_ARGUMENT / INPUT_TOO_LARGE, and no message holds a value given', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TOOL_NAMES), args, (tool, raw) => {
        const result = parseOutcome(tool, raw);
        if ('ok' in result) return;
        const { code, message, data } = result.err;
        expect(['INVALID_ARGUMENT', 'INPUT_TOO_LARGE']).toContain(code);
        expect(message).not.toContain(MARK);
        if (code === 'INPUT_TOO_LARGE') {
          expect([LIMITS.maxContextChars, LIMITS.maxFieldChars]).toContain(data.limit);
          expect(data.actual).toBeGreaterThan(data.limit as number);
        }
      }),
      // Kept regression examples: a prototype key, a non-object, an array of critics out of range.
      {
        examples: [
          ['roast', { __proto__: { domain: 'idea' } }],
          ['roast', 'x'],
          ['roast_cli_debate', { agents: ['claude'] }],
        ],
      },
    );
  });

  it('accepts only strings within their bound and roast fields that a domain declares', () => {
    const fieldNames = new Set(Object.keys(TOOLS.roast.fields.shape));
    let accepted = 0;
    fc.assert(
      fc.property(args, (raw) => {
        const result = parseOutcome('roast', raw);
        const parsed = result.ok?.tool === 'roast' ? result.ok.args : undefined;
        if (parsed === undefined) return;
        accepted++;
        for (const name of Object.keys(parsed.fields)) expect(fieldNames.has(name)).toBe(true);
        for (const v of Object.values(parsed)) {
          if (typeof v === 'string') expect(v.length).toBeLessThanOrEqual(LIMITS.maxContextChars);
        }
      }),
      { examples: [[{}]] },
    );
    expect(accepted).toBeGreaterThan(0); // the property means nothing if every input was refused
  });
});
