// `brutalist-mcp review` and `review-post` as the Action runs them: the built CLI on a temp git repository with a
// known diff, fake critics answering with a findings block, and a stub GitHub REST API on loopback.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type ReviewReport, reviewReportSchema } from '../../src/cli/review-report.js';
import { CLI_JS, makeSandbox, REPO, readLog, serverEnv } from '../support/harness.js';
import { type TempRepo, tempRepo } from '../support/review.js';

const sandbox = makeSandbox('brutalist-review-e2e-');
const CRITIQUE = resolve(import.meta.dirname, '../fixtures/review/critique.md');

const ajv = new Ajv2020({ allErrors: true, strict: false });
(formats as unknown as { default: (a: Ajv2020) => void }).default(ajv);
const validateSarif = ajv.compile(
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../fixtures/sarif/sarif-schema-2.1.0.json'), 'utf8')),
);

let repo: TempRepo;
beforeAll(() => {
  repo = tempRepo();
  repo.write('src/app.ts', 'export function add(a: number, b: number) {\n  return a + b;\n}\n');
  repo.write('README.md', 'demo\n');
  repo.commit('base');
  repo.git('branch', 'base');
  repo.write('src/app.ts', 'export function add(a: number, b: number) {\n  return a - b;\n}\n');
  repo.commit('change');
});
afterAll(() => {
  repo.cleanup();
  sandbox.cleanup();
});

const env = (extra: Record<string, string> = {}) =>
  serverEnv(sandbox, { FAKE_CLI_TEXT_FILE: CRITIQUE, ...extra });

function review(args: string[], cwd = repo.dir, extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI_JS, 'review', '--base', 'base', '--cli', 'claude', ...args], {
    cwd,
    env: env(extra),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Async: the stub API answers in this process while the CLI runs. */
function runCli(args: string[], extra: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [CLI_JS, ...args], { cwd: repo.dir, env: env(extra) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

// Each case spawns the built CLI (and critics): seconds each on a loaded 2-core machine.
const SLOW = { timeout: 120_000 };

describe('brutalist-mcp review', SLOW, () => {
  it('asks the critic to review the repository with the diff and the focus in the prompt', () => {
    const r = review(['--format', 'json', '--focus', 'security']);
    expect(r.code).toBe(0);
    const report: ReviewReport = reviewReportSchema.parse(JSON.parse(r.stdout));
    expect(report.changedFiles).toEqual([{ path: 'src/app.ts', deleted: false, ranges: [[1, 3]] }]);
    expect(report.head.sha).toBe(repo.git('rev-parse', 'HEAD'));
    expect(report.critique).toContain('the change turns `add` into a subtraction');
    expect(r.stdout).not.toContain(repo.dir); // no host path, not even in the critique's title
    const run = readLog(sandbox.log).at(-1);
    const prompt = `${run?.stdin ?? ''}${(run?.argv ?? []).join('\n')}`;
    expect(prompt).toContain('-  return a + b;\n+  return a - b;');
    expect(prompt).toContain('Security of the change in the diff');
    expect(run?.cwd).toBe(repo.dir);
  });

  it('prints markdown by default', () => {
    const r = review([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^## Brutalist review: /);
  });

  it('prints SARIF 2.1.0 that validates against the schema', () => {
    const r = review(['--format', 'sarif']);
    expect(r.code).toBe(0);
    expect(validateSarif(JSON.parse(r.stdout))).toBe(true);
  });

  it('answers a bad ref with GIT_REF_INVALID, exit 2, and no host path', () => {
    const r = review(['--head', 'no-such-ref']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('GIT_REF_INVALID');
    expect(r.stderr).not.toContain(repo.dir);
    expect(r.stdout).toBe('');
  });

  it('answers outside a git repository with GIT_REPO_NOT_FOUND, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brutalist-norepo-'));
    try {
      const r = review([], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('GIT_REPO_NOT_FOUND');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown format with usage and exit 2', () => {
    const r = review(['--format', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('brutalist-mcp review: --format xml: one of markdown, json, sarif');
  });

  it('cuts a diff longer than reviewMaxDiffChars at a file boundary and names the files left out', () => {
    const big = tempRepo();
    try {
      big.write('a.ts', 'export const a = 1;\n');
      big.write('b.ts', 'export const b = 1;\n');
      big.commit('base');
      big.git('branch', 'base');
      big.write('a.ts', 'export const a = 2;\n');
      big.write('b.ts', `${'export const b = 2;\n'.repeat(200)}`);
      big.commit('grow');
      const r = review(['--format', 'json'], big.dir, { BRUTALIST_REVIEW_MAX_DIFF_CHARS: '1000' });
      expect(r.code).toBe(0);
      const report = reviewReportSchema.parse(JSON.parse(r.stdout));
      expect(report.diff.omittedFiles).toEqual(['b.ts']);
      expect(report.diff.shownChars).toBeLessThanOrEqual(1000);
      expect(report.diff.chars).toBeGreaterThan(4000);
      const stdin = readLog(sandbox.log).at(-1)?.stdin ?? '';
      expect(stdin).toContain('Not shown (read these files yourself): b.ts.');
      expect(stdin).toContain('+export const a = 2;');
      expect(stdin).not.toContain('+export const b = 2;');
    } finally {
      big.cleanup();
    }
  });

  it('runs no critic when nothing changed', () => {
    const before = readLog(sandbox.log).length;
    const r = review(['--head', 'base', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
    expect(readLog(sandbox.log).length).toBe(before);
  });
});

describe('review with structured findings', SLOW, () => {
  let server: Server;
  let apiUrl = '';
  const posted: {
    url: string;
    body: { commit_id: string; body: string; comments: Record<string, unknown>[] };
  }[] = [];
  let status = 200;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        posted.push({ url: req.url ?? '', body: JSON.parse(data) });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(status === 200 ? { id: 7 } : { message: 'Resource not accessible by integration' }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('verifies quotes: the real one verified, the hallucinated one unverified', () => {
    const r = review(['--format', 'json']);
    const report = reviewReportSchema.parse(JSON.parse(r.stdout));
    const by = new Map(report.findings.map((f) => [f.title, f.verification]));
    expect(by.get('add subtracts')).toBe('verified');
    expect(by.get('eval of user input')).toBe('unverified');
    expect(by.get('README says nothing')).toBe('verified');
  });

  it('exits 3 at or above --fail-on, and ignores the unverified critical', () => {
    const live = review(['--fail-on', 'high', '--format', 'json']);
    expect(live.code).toBe(3);
    expect(JSON.parse(live.stdout).failing).toBe(1);
    // The same report re-rendered with other thresholds (no critics run again).
    const file = join(sandbox.dir, 'fail-on.json');
    writeFileSync(file, live.stdout);
    const rerun = (failOn: string) =>
      spawnSync(process.execPath, [CLI_JS, 'review', '--report', file, '--fail-on', failOn], { env: env() })
        .status;
    expect(rerun('critical')).toBe(0);
    expect(rerun('low')).toBe(3);
  });

  it('posts one review: the changed line inline, the rest in the body, nothing inline for the unverified', async () => {
    const file = join(sandbox.dir, 'report.json');
    writeFileSync(file, review(['--format', 'json']).stdout);
    status = 200;
    posted.length = 0;
    const r = await runCli(['review-post', file, '--repo', 'octo/demo', '--pr', '5', '--api-url', apiUrl], {
      GITHUB_TOKEN: 'ghs_stubstubstubstubstubstubstubstub1234',
    });
    expect(r.code).toBe(0);
    expect(posted).toHaveLength(1);
    const [review1] = posted;
    expect(review1?.url).toBe('/repos/octo/demo/pulls/5/reviews');
    expect(review1?.body.commit_id).toBe(repo.git('rev-parse', 'HEAD'));
    expect(review1?.body.comments.map((c) => [c.path, c.line])).toEqual([['src/app.ts', 2]]);
    expect(review1?.body.body).toContain('eval of user input');
    expect(review1?.body.body).toContain('README says nothing');
    expect(JSON.stringify(review1?.body)).not.toContain('ghs_stub');
  });

  it('exits 1 with GITHUB_API_FAILED when GitHub refuses', async () => {
    const file = join(sandbox.dir, 'report.json');
    status = 403;
    const r = await runCli(['review-post', file, '--repo', 'octo/demo', '--pr', '5', '--api-url', apiUrl], {
      GITHUB_TOKEN: 'ghs_stubstubstubstubstubstubstubstub1234',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('GITHUB_API_FAILED');
  });
});

describe('review --report and review-post input', SLOW, () => {
  it('re-renders a saved report and recomputes --fail-on without git or critics', () => {
    const file = join(sandbox.dir, 'saved.json');
    const saved = JSON.parse(review(['--format', 'json']).stdout);
    saved.findings = [
      {
        id: 'x1',
        severity: 'high',
        category: 'c',
        title: 't',
        file: 'src/app.ts',
        line: 2,
        endLine: null,
        quote: 'return a - b;',
        why: 'w',
        fix: null,
        confidence: null,
        verification: 'verified',
        fileChanged: false,
        detectedBy: ['claude'],
        agreement: 1,
      },
    ];
    writeFileSync(file, JSON.stringify(saved));
    const before = readLog(sandbox.log).length;
    const outside = mkdtempSync(join(tmpdir(), 'brutalist-norepo-'));
    try {
      const r = spawnSync(
        process.execPath,
        [CLI_JS, 'review', '--report', file, '--format', 'sarif', '--fail-on', 'high'],
        {
          cwd: outside,
          env: env(),
          encoding: 'utf8',
        },
      );
      expect(r.status).toBe(3);
      expect(validateSarif(JSON.parse(r.stdout))).toBe(true);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
    expect(readLog(sandbox.log).length).toBe(before);
  });

  it('review-post refuses a file that is not a report (exit 2) and a missing token (exit 2)', () => {
    const bad = join(sandbox.dir, 'bad.json');
    writeFileSync(bad, '{"version":2}');
    const noToken = spawnSync(process.execPath, [CLI_JS, 'review-post', bad, '--repo', 'o/r', '--pr', '1'], {
      env: env(),
      encoding: 'utf8',
    });
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toContain('GITHUB_TOKEN is not set');
    const notReport = spawnSync(
      process.execPath,
      [CLI_JS, 'review-post', bad, '--repo', 'o/r', '--pr', '1'],
      {
        env: env({ GITHUB_TOKEN: 'x' }),
        encoding: 'utf8',
      },
    );
    expect(notReport.status).toBe(2);
    expect(notReport.stderr).toContain('INVALID_ARGUMENT');
  });
});

describe('action.yml', () => {
  const action = parseYaml(readFileSync(join(REPO, 'action.yml'), 'utf8')) as {
    runs: { using: string; steps: { run?: string; if?: string; env?: Record<string, string> }[] };
  };

  it('is a composite action that runs review and then review-post', () => {
    expect(action.runs.using).toBe('composite');
    const runs = action.runs.steps.map((s) => s.run ?? '').join('\n');
    expect(runs.indexOf('review --report')).toBeGreaterThan(0);
    expect(runs.indexOf(' review-post ')).toBeGreaterThan(runs.indexOf('--format json'));
  });

  it('passes inputs through env only: no workflow expression inside a script (no script injection)', () => {
    for (const step of action.runs.steps) expect(step.run ?? '').not.toMatch(/\$\{\{/);
  });
});
