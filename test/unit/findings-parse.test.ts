import { describe, expect, it } from 'vitest';
import { buildRoastPrompt, FINDINGS_FENCE as PROMPT_FENCE } from '../../src/domains/index.js';
import { FINDINGS_FENCE, parseFindings } from '../../src/findings/index.js';

const entry = (over: Record<string, unknown> = {}) => ({
  severity: 'high',
  category: 'security',
  title: 'SQL built by string concatenation',
  file: 'src/db.ts',
  line: 12,
  quote: 'const sql = "SELECT * FROM users WHERE id = " + id;',
  why: 'Injection.',
  fix: 'Use a parameterised query.',
  confidence: 0.9,
  ...over,
});
const block = (body: unknown, fence = '```') =>
  `${fence}${FINDINGS_FENCE}\n${typeof body === 'string' ? body : JSON.stringify(body, null, 2)}\n${fence}`;

describe('parseFindings', () => {
  it('returns the prose untouched and no block when the answer has none', () => {
    const text = '# Critique\n\nAll bad.\n```ts\nconst x = 1;\n```\n';
    expect(parseFindings(text, 50)).toEqual({ prose: text, block: null });
  });

  it('cuts the block out of the prose and keeps its valid entries with defaults filled', () => {
    const parsed = parseFindings(`# Critique\n\nBad things.\n\n${block([entry()])}\n`, 50);
    expect(parsed.prose).toBe('# Critique\n\nBad things.\n');
    expect(parsed.block?.dropped).toBe(0);
    expect(parsed.block?.entries).toEqual([{ ...entry(), endLine: null }]);
  });

  it('drops and counts malformed entries, keeping the rest', () => {
    const items = [
      entry(),
      { title: 'no severity', why: 'x' },
      'a string',
      entry({ severity: 'catastrophic' }),
      null,
    ];
    const parsed = parseFindings(block(items), 50);
    expect(parsed.block?.entries).toHaveLength(1);
    expect(parsed.block?.dropped).toBe(4);
  });

  it('counts a block that is not JSON as one dropped entry, and still removes it from the prose', () => {
    const parsed = parseFindings(`prose\n${block('[{"severity": "high", oops}]')}`, 50);
    expect(parsed).toEqual({ prose: 'prose\n', block: { entries: [], dropped: 1 } });
  });

  it('keeps at most maxEntries entries and counts the surplus as dropped', () => {
    const parsed = parseFindings(block(Array.from({ length: 7 }, (_, i) => entry({ line: i + 1 }))), 3);
    expect(parsed.block?.entries.map((e) => e.line)).toEqual([1, 2, 3]);
    expect(parsed.block?.dropped).toBe(4);
  });

  it('reads a block whose closing fence was cut off by the output cap', () => {
    const parsed = parseFindings(`prose\n\`\`\`${FINDINGS_FENCE}\n${JSON.stringify([entry()])}`, 50);
    expect(parsed.prose).toBe('prose\n');
    expect(parsed.block?.entries).toHaveLength(1);
  });

  it('forgives the usual near-misses: file:line, line ranges as text, upper-case severity, percentages', () => {
    const parsed = parseFindings(
      block([
        entry({ file: 'src/db.ts:12-14', line: undefined, severity: 'HIGH', confidence: 80 }),
        entry({ line: '20-22', confidence: '0.5' }),
        entry({ line: [5, 6], category: undefined }),
      ]),
      50,
    );
    expect(parsed.block?.dropped).toBe(0);
    const [a, b, c] = parsed.block!.entries;
    expect(a).toMatchObject({ file: 'src/db.ts', line: 12, endLine: 14, severity: 'high', confidence: 0.8 });
    expect(b).toMatchObject({ line: 20, endLine: 22, confidence: 0.5 });
    expect(c).toMatchObject({ line: 5, endLine: 6, category: 'general' });
  });

  it('accepts {"findings": [...]} and tilde fences, and parses the last block when there are several', () => {
    const first = block([entry({ title: 'first' })]);
    const last = block({ findings: [entry({ title: 'second' })] }, '~~~');
    const parsed = parseFindings(`a\n${first}\nb\n${last}\n`, 50);
    expect(parsed.block?.entries.map((e) => e.title)).toEqual(['second']);
    expect(parsed.prose).toBe('a\n\nb\n');
  });

  it('reads an empty array as a block with no findings (not as "no block")', () => {
    expect(parseFindings(block([]), 50).block).toEqual({ entries: [], dropped: 0 });
  });
});

describe('the prompt and the parser agree', () => {
  it('use the same fence, and the example every prompt shows parses as one valid finding', () => {
    expect(PROMPT_FENCE).toBe(FINDINGS_FENCE);
    for (const domain of ['codebase', 'security'] as const) {
      const prompt = buildRoastPrompt({ domain, targetPath: '.', context: 'material', fields: {} });
      const parsed = parseFindings(prompt, 50);
      expect(parsed.block?.entries, domain).toHaveLength(1);
      expect(parsed.block?.dropped, domain).toBe(0);
    }
  });

  it('ask abstract domains for null file and line', () => {
    const prompt = buildRoastPrompt({ domain: 'security', context: 'material', fields: {} });
    expect(parseFindings(prompt, 50).block?.entries[0]).toMatchObject({
      file: null,
      line: null,
      quote: null,
    });
  });
});

describe('parseFindings on odd blocks', () => {
  it('reads a block with an empty body as a block with no findings', () => {
    expect(parseFindings(`\`\`\`${FINDINGS_FENCE}\n\n\`\`\``, 50).block).toEqual({ entries: [], dropped: 0 });
  });

  it('counts a block holding a JSON scalar as one dropped entry', () => {
    expect(parseFindings(block('42'), 50).block).toEqual({ entries: [], dropped: 1 });
    expect(parseFindings(block('"a finding"'), 50).block).toEqual({ entries: [], dropped: 1 });
  });

  it('reads a bare object (not a list, no "findings" key) as a list of one', () => {
    const parsed = parseFindings(block(entry({ title: 'alone' })), 50);
    expect(parsed.block?.entries.map((e) => e.title)).toEqual(['alone']);
    expect(parsed.block?.dropped).toBe(0);
  });

  it('leaves nothing of the prose when the answer is only the block', () => {
    expect(parseFindings(block([entry()]), 50).prose).toBe('');
  });
});

describe('parseFindings forgiveness, field by field', () => {
  const one = (over: Record<string, unknown>) => parseFindings(block([entry(over)]), 50).block!;

  it('reads "informational" (any case, padded) as severity info', () => {
    expect(one({ severity: ' Informational ' }).entries[0]?.severity).toBe('info');
  });

  it('turns a blank quote and an empty fix into null', () => {
    expect(one({ quote: '   \n ', fix: '' }).entries[0]).toMatchObject({ quote: null, fix: null });
  });

  it('cuts an over-long title to its bound instead of dropping the entry', () => {
    expect(one({ title: 'x'.repeat(500) }).entries[0]?.title).toHaveLength(300);
  });

  it('drops a blank title over the bound rather than cutting it to a blank that passes', () => {
    expect(one({ title: ' '.repeat(400) })).toEqual({ entries: [], dropped: 1 });
  });

  it('reads an empty file as null and trims a padded one', () => {
    expect(one({ file: '  ' }).entries[0]?.file).toBeNull();
    expect(one({ file: ' src/a.ts ' }).entries[0]?.file).toBe('src/a.ts');
  });

  it('keeps "file:line" as the file name when a line is given separately', () => {
    expect(one({ file: 'notes:12', line: 3 }).entries[0]).toMatchObject({ file: 'notes:12', line: 3 });
  });

  it('reads "file:line" without a range as that line and no end line', () => {
    expect(one({ file: 'src/a.ts:7', line: undefined }).entries[0]).toMatchObject({
      file: 'src/a.ts',
      line: 7,
      endLine: null,
    });
  });

  it('keeps an explicit end line over the one in "file:line-end"', () => {
    expect(one({ file: 'src/a.ts:7-9', line: undefined, endLine: 12 }).entries[0]).toMatchObject({
      line: 7,
      endLine: 12,
    });
  });

  it('reads an end line given as text, and a line range of one as no end line', () => {
    expect(one({ line: '4', endLine: '6' }).entries[0]).toMatchObject({ line: 4, endLine: 6 });
    expect(one({ line: [9] }).entries[0]).toMatchObject({ line: 9, endLine: null });
  });

  it('keeps an explicit end line over the one in a textual line range', () => {
    expect(one({ line: '4-5', endLine: 8 }).entries[0]).toMatchObject({ line: 4, endLine: 8 });
  });

  it('drops an entry whose line is text that is not a line number', () => {
    expect(one({ line: 'near the top' })).toEqual({ entries: [], dropped: 1 });
  });

  it('reads line 0 as no line, and drops an end line before the line', () => {
    expect(one({ line: 0 }).entries[0]?.line).toBeNull();
    expect(one({ line: 10, endLine: 4 }).entries[0]).toMatchObject({ line: 10, endLine: null });
  });

  it('takes a confidence above 100 as out of range, not as a percentage', () => {
    expect(one({ confidence: 150 })).toEqual({ entries: [], dropped: 1 });
  });

  it('leaves the category alone when the title is missing (the entry is dropped)', () => {
    expect(one({ category: undefined, title: undefined })).toEqual({ entries: [], dropped: 1 });
  });
});
