import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CheckedFinding,
  type CriticFindings,
  findingsTable,
  mergeFindings,
  rawFindingSchema,
  SEVERITIES,
  VERIFICATIONS,
} from '../../src/findings/index.js';

const checked = (over: Partial<CheckedFinding> = {}): CheckedFinding => ({
  ...rawFindingSchema.parse({
    severity: 'high',
    category: 'security',
    title: 'SQL injection in find',
    why: 'Because.',
    file: 'src/users.ts',
    line: 4,
    quote: 'const sql = "SELECT " + id;',
  }),
  verification: 'verified',
  fileChanged: false,
  ...over,
});
const CRITICS = ['claude', 'codex', 'gemini'];

describe('mergeFindings', () => {
  it('merges the same place and problem across critics, with detectedBy in the order asked and agreement', () => {
    const merged = mergeFindings(
      [
        { critic: 'gemini', findings: [checked({ title: 'Injection: SQL built in find', line: 5 })] },
        { critic: 'claude', findings: [checked()] },
        {
          critic: 'codex',
          findings: [checked({ title: 'Unrelated: logging is noisy', category: 'ops', line: 30 })],
        },
      ],
      CRITICS,
      3,
    );
    expect(merged).toHaveLength(2);
    expect(merged[0]).toMatchObject({ detectedBy: ['claude', 'gemini'], agreement: 2 / 3, line: 4 });
    expect(merged[1]).toMatchObject({ detectedBy: ['codex'], agreement: 1 / 3 });
  });

  it('keeps different problems on nearby lines apart, and the same title in another file apart', () => {
    const merged = mergeFindings(
      [
        {
          critic: 'claude',
          findings: [
            checked(),
            checked({
              title: 'Missing await on query',
              category: 'correctness',
              line: 5,
              quote: 'db.query(sql)',
            }),
            checked({ file: 'src/other.ts' }),
          ],
        },
      ],
      CRITICS,
      3,
    );
    expect(merged).toHaveLength(3);
  });

  it("folds one critic's duplicates into one finding", () => {
    const merged = mergeFindings(
      [{ critic: 'claude', findings: [checked(), checked({ line: 5 })] }],
      CRITICS,
      3,
    );
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ detectedBy: ['claude'], agreement: 1 });
  });

  it('represents a merged finding by its best-checked report and flags a changed file', () => {
    const merged = mergeFindings(
      [
        {
          critic: 'claude',
          findings: [checked({ verification: 'unverified', severity: 'critical', fileChanged: true })],
        },
        { critic: 'codex', findings: [checked({ severity: 'medium', fix: 'Bind parameters.' })] },
      ],
      CRITICS,
      3,
    );
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ verification: 'verified', severity: 'medium', fileChanged: true });
  });

  it('orders by severity, then agreement, file and line', () => {
    const merged = mergeFindings(
      [
        {
          critic: 'claude',
          findings: [
            checked({ severity: 'low', title: 'alpha one', file: 'a.ts' }),
            checked({ severity: 'high', title: 'beta two', file: 'b.ts', line: 9 }),
            checked({ severity: 'high', title: 'gamma three', file: 'b.ts', line: 2 }),
            checked({ severity: 'high', title: 'delta four', file: 'z.ts' }),
          ],
        },
        { critic: 'codex', findings: [checked({ severity: 'high', title: 'delta four', file: 'z.ts' })] },
      ],
      CRITICS,
      3,
    );
    expect(merged.map((f) => f.title)).toEqual(['delta four', 'gamma three', 'beta two', 'alpha one']);
  });

  it('gives every merged finding a distinct, stable id', () => {
    const answers: CriticFindings[] = [
      {
        critic: 'claude',
        findings: [checked(), checked({ title: 'Other thing entirely', category: 'x', line: 40 })],
      },
    ];
    const a = mergeFindings(answers, CRITICS, 3);
    const b = mergeFindings(answers, CRITICS, 3);
    expect(new Set(a.map((f) => f.id)).size).toBe(2);
    expect(a.map((f) => f.id)).toEqual(b.map((f) => f.id));
  });
});

// Few files, lines and title words: collisions (merges) are common, which is what the property must survive.
const arbFinding = fc.record({
  severity: fc.constantFrom(...SEVERITIES),
  category: fc.constantFrom('security', 'correctness', 'design'),
  title: fc.constantFrom(
    'sql injection here',
    'sql injection risk',
    'missing await',
    'slow loop',
    'dead code',
  ),
  file: fc.constantFrom('a.ts', 'b.ts', null),
  line: fc.option(fc.integer({ min: 1, max: 20 }), { nil: null }),
  endLine: fc.constant(null),
  quote: fc.option(fc.constantFrom('x = 1', 'y()', 'await z'), { nil: null }),
  why: fc.constantFrom('because', 'it breaks'),
  fix: fc.option(fc.constantFrom('fix it', 'remove it'), { nil: null }),
  confidence: fc.option(fc.constantFrom(0.2, 0.5, 0.9), { nil: null }),
  verification: fc.constantFrom(...VERIFICATIONS),
  fileChanged: fc.boolean(),
});
const arbAnswers = fc.uniqueArray(
  fc.record({ critic: fc.constantFrom(...CRITICS), findings: fc.array(arbFinding, { maxLength: 6 }) }),
  { selector: (a) => a.critic, maxLength: 3 },
);

describe('mergeFindings is deterministic', () => {
  it('gives the same merged list for any order of the critic answers and of their findings', () => {
    fc.assert(
      fc.property(arbAnswers, fc.infiniteStream(fc.nat()), (answers, seeds) => {
        const expected = mergeFindings(answers, CRITICS, 3);
        const shuffle = <T>(xs: readonly T[]): T[] =>
          xs
            .map((x) => ({ x, k: seeds.next().value as number }))
            .sort((p, q) => p.k - q.k)
            .map((p) => p.x);
        const reordered = shuffle(answers).map((a) => ({ ...a, findings: shuffle(a.findings) }));
        expect(mergeFindings(reordered, CRITICS, 3)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('never loses a report: every critic with findings appears in some detectedBy, agreement stays in 0..1', () => {
    fc.assert(
      fc.property(arbAnswers, (answers) => {
        const merged = mergeFindings(answers, CRITICS, 3);
        const seen = new Set(merged.flatMap((f) => f.detectedBy));
        for (const a of answers) if (a.findings.length > 0) expect(seen.has(a.critic)).toBe(true);
        for (const f of merged) expect(f.agreement).toBeGreaterThan(0);
        for (const f of merged) expect(f.agreement).toBeLessThanOrEqual(1);
        expect(merged.length).toBeLessThanOrEqual(answers.reduce((n, a) => n + a.findings.length, 0));
      }),
    );
  });
});

describe('findingsTable', () => {
  const summary = (n: number) => ({
    total: n,
    bySeverity: { critical: 0, high: n, medium: 0, low: 0, info: 0 },
    unverified: 0,
    dropped: 0,
    withoutBlock: [],
  });

  it('shows at most maxRows rows and says how many more there are', () => {
    const findings = mergeFindings(
      [
        {
          critic: 'claude',
          findings: Array.from({ length: 5 }, (_, i) =>
            checked({ title: `t${i} word${i}`, line: i * 10 + 1 }),
          ),
        },
      ],
      CRITICS,
      3,
    );
    const table = findingsTable(findings, summary(5), 2);
    expect(table.split('\n').filter((l) => /^\| \d/.test(l))).toHaveLength(2);
    expect(table).toContain('3 more in structuredContent.findings');
  });

  it('keeps a hostile title inside its cell', () => {
    const findings = mergeFindings(
      [
        {
          critic: 'claude',
          findings: [checked({ title: 'a | b\n| injected | row |', verification: 'unverified' })],
        },
      ],
      CRITICS,
      3,
    );
    const rows = findingsTable(findings, summary(1), 5)
      .split('\n')
      .filter((l) => l.startsWith('| 1 '));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('a \\| b \\| injected \\| row \\|');
    expect(rows[0]).toContain('**unverified**');
  });

  it('is empty when no critic returned a block, and says "none" when blocks were empty', () => {
    expect(findingsTable([], { ...summary(0), withoutBlock: ['claude'] }, 5)).toBe('');
    expect(findingsTable([], summary(0), 5)).toContain('none reported');
  });
});

describe('mergeFindings edge cases', () => {
  it('folds an exact duplicate from one critic into one finding naming the critic once', () => {
    const merged = mergeFindings([{ critic: 'codex', findings: [checked(), checked()] }], CRITICS, 3);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ detectedBy: ['codex'], agreement: 1 });
  });

  it('does not take two titles without words (punctuation, short words) as the same problem', () => {
    const merged = mergeFindings(
      [
        { critic: 'claude', findings: [checked({ title: '?!', category: 'a', quote: null })] },
        { critic: 'codex', findings: [checked({ title: 'no', category: 'b', quote: null, line: 5 })] },
      ],
      CRITICS,
      3,
    );
    expect(merged).toHaveLength(2);
  });

  it('orders findings in a file before findings without one, and a cited line before no line', () => {
    const merged = mergeFindings(
      [
        {
          critic: 'claude',
          findings: [
            checked({ title: 'no tests at all', file: null, line: null, quote: null }),
            checked({ title: 'missing license header', line: null, quote: null }),
            checked({ title: 'unbounded retry loop', line: 30, quote: null }),
          ],
        },
      ],
      CRITICS,
      3,
    );
    expect(merged.map((f) => f.title)).toEqual([
      'unbounded retry loop',
      'missing license header',
      'no tests at all',
    ]);
  });
});
