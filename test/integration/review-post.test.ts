// review-post against a stub GitHub REST API on loopback: one review, inline only for verified findings on
// lines of the diff, the rest in the body, secrets redacted, API failures as GITHUB_API_FAILED.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type PlannedReview,
  planReview,
  postReview,
  REVIEW_POST_USAGE,
  reviewPostCommand,
} from '../../src/cli/review-post.js';
import { UsageError } from '../../src/cli/roast-args.js';
import { resolveConfig } from '../../src/engine/config.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { sanitizeText } from '../../src/security/index.js';
import { finding, report } from '../support/review.js';

interface Received {
  method: string;
  url: string;
  auth: string | undefined;
  body: { commit_id: string; event: string; body: string; comments: Record<string, unknown>[] };
}

let server: Server;
let apiUrl: string;
let received: Received[] = [];
/** Status codes the stub answers with, in order; then 200. */
let answers: number[] = [];
/** When set, the stub answers 200 with this raw text instead of JSON. */
let rawAnswer: string | null = null;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req));
    received.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
    const status = answers.shift() ?? 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    if (rawAnswer !== null) {
      res.end(rawAnswer);
      return;
    }
    res.end(
      JSON.stringify(
        status === 200
          ? { id: 4242, html_url: 'https://example.invalid/pr/7#review-4242' }
          : { message: status === 422 ? 'Line could not be resolved' : 'Bad credentials' },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received = [];
  answers = [];
  rawAnswer = null;
});

const TOKEN = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB';
const env = { GITHUB_TOKEN: TOKEN, HOME: '/home/runner' };
const redact = (text: string) =>
  sanitizeText(text, { roots: ['/home/runner/work/repo'], env, maxChars: 65_000 });
const target = () => ({ apiUrl, repo: 'octo/demo', pr: 7, token: TOKEN, timeoutMs: 10_000 });

const verifiedOnDiff = finding({ title: 'On the diff', line: 2 });
const multiLine = finding({ title: 'Spans lines', line: 2, endLine: 4 });
const unverifiedOnDiff = finding({ title: 'Hallucinated', line: 3, verification: 'unverified' });
const offDiff = finding({ title: 'Off the diff', line: 40 });
const otherFile = finding({ title: 'Unchanged file', file: 'src/other.ts', line: 1 });
const noFile = finding({
  title: 'Whole project',
  file: null,
  line: null,
  quote: null,
  verification: 'unchecked',
});
const reanchored = finding({ title: 'Moved', file: 'lib/b.ts', line: 11, verification: 'reanchored' });

const theReport = report({
  findings: [verifiedOnDiff, multiLine, unverifiedOnDiff, offDiff, otherFile, noFile, reanchored],
  changedFiles: [
    { path: 'src/app.ts', deleted: false, ranges: [[1, 6]] },
    { path: 'lib/b.ts', deleted: false, ranges: [[10, 12]] },
  ],
});

describe('planReview', () => {
  const plan = planReview(theReport, 30, redact);

  it('puts verified findings on lines of the diff inline, on the right path and line', () => {
    expect(plan.comments.map((c) => ({ path: c.path, line: c.line, start_line: c.start_line }))).toEqual([
      { path: 'src/app.ts', line: 2, start_line: undefined },
      { path: 'src/app.ts', line: 4, start_line: 2 },
      { path: 'lib/b.ts', line: 11, start_line: undefined },
    ]);
    expect(plan.comments.every((c) => c.side === 'RIGHT')).toBe(true);
  });

  it('never puts an unverified finding inline; the body lists it, marked', () => {
    expect(plan.comments.some((c) => c.body.includes('Hallucinated'))).toBe(false);
    expect(plan.body).toContain('Hallucinated');
    expect(plan.body).toContain('Unverified: the quoted code was not found');
    for (const title of ['Off the diff', 'Unchanged file', 'Whole project'])
      expect(plan.body).toContain(title);
    expect(plan.body).toContain('3 inline on changed lines, 4 below');
  });

  it('sends the rest to the body once the inline limit is reached', () => {
    const capped = planReview(theReport, 1, redact);
    expect(capped.comments).toHaveLength(1);
    expect(capped.body).toContain('Spans lines');
  });

  it('redacts secrets and host paths from every text it would post', () => {
    const leaky = finding({
      why: `The key ${TOKEN} is logged from /home/runner/work/repo/src/app.ts and AKIAIOSFODNN7EXAMPLE too.`,
    });
    const out: PlannedReview = planReview(
      report({ findings: [leaky, { ...leaky, id: 'x', line: 99 }] }),
      30,
      redact,
    );
    const all = [out.body, ...out.comments.map((c) => c.body)].join('\n');
    expect(out.comments).toHaveLength(1);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('/home/runner');
    expect(all).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });
});

describe('postReview', () => {
  it('posts one review for the head commit, with the token only in the Authorization header', async () => {
    const plan = planReview(theReport, 30, redact);
    const posted = await postReview(plan, theReport, target(), redact);
    expect(posted).toEqual({
      id: 4242,
      url: 'https://example.invalid/pr/7#review-4242',
      inlineRefused: false,
    });
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/api/v3/repos/octo/demo/pulls/7/reviews');
    expect(req?.auth).toBe(`Bearer ${TOKEN}`);
    expect(req?.body.commit_id).toBe(theReport.head.sha);
    expect(req?.body.event).toBe('COMMENT');
    expect(req?.body.comments).toHaveLength(3);
    expect(JSON.stringify(req?.body)).not.toContain(TOKEN);
  });

  it('on 422 sends the review once more with every finding in the body (still one review)', async () => {
    answers = [422];
    const plan = planReview(theReport, 30, redact);
    const posted = await postReview(plan, theReport, target(), redact);
    expect(posted.inlineRefused).toBe(true);
    expect(received).toHaveLength(2);
    expect(received[1]?.body.comments).toEqual([]);
    expect(received[1]?.body.body).toContain('On the diff');
  });

  it('turns a refusal into GITHUB_API_FAILED with the status and GitHub message', async () => {
    answers = [401];
    const err = await postReview(planReview(theReport, 30, redact), theReport, target(), redact).catch(
      (e) => e,
    );
    expect(isBrutalistError(err) && err.code).toBe('GITHUB_API_FAILED');
    expect(err.data).toEqual({ status: 401, detail: 'Bad credentials' });
    expect(received).toHaveLength(1);
  });

  it('turns an unreachable API into GITHUB_API_FAILED with status 0', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await postReview(
      planReview(theReport, 30, redact),
      theReport,
      { ...target(), apiUrl: `http://127.0.0.1:${port}` },
      redact,
    ).catch((e) => e);
    expect(isBrutalistError(err) && err.code).toBe('GITHUB_API_FAILED');
    expect(err.data).toEqual({ status: 0 });
  });
});

describe('planReview, edge cases', () => {
  it('says "1 finding" in the singular, with a dash for no critics and no unverified note', () => {
    const plan = planReview(report({ findings: [finding()], critics: [] }), 30, redact);
    expect(plan.body).toContain('## Brutalist review: 1 finding\n');
    expect(plan.body).toContain('critics —');
    expect(plan.body).not.toContain('unverified: their quoted code');
  });

  it('points to the prose when the critics returned no structured findings', () => {
    expect(planReview(report({ critique: 'Prose only.' }), 30, redact).body).toContain(
      'The critics returned prose only',
    );
    expect(planReview(report({ critique: '  ' }), 30, redact).body).not.toContain('prose only');
  });

  it('never comments inline on a deleted file, and comments on one line when the span leaves the hunk', () => {
    const plan = planReview(
      report({
        findings: [
          finding({ title: 'In a deleted file', file: 'gone.ts', line: 1 }),
          finding({ title: 'Runs past the hunk', line: 5, endLine: 9 }),
        ],
        changedFiles: [
          { path: 'src/app.ts', deleted: false, ranges: [[1, 6]] },
          { path: 'gone.ts', deleted: true, ranges: [[1, 3]] },
        ],
      }),
      30,
      redact,
    );
    expect(plan.comments.map((c) => [c.path, c.line, c.start_line])).toEqual([['src/app.ts', 5, undefined]]);
    expect(plan.body).toContain('In a deleted file');
  });

  it('stops the body at its bound and says how many findings did not fit', () => {
    const long = (i: number) =>
      finding({
        title: `Long ${i}`,
        file: null,
        line: null,
        verification: 'unchecked',
        why: 'w'.repeat(3000),
      });
    const plan = planReview(report({ findings: Array.from({ length: 30 }, (_, i) => long(i)) }), 30, redact);
    expect(plan.body.length).toBeLessThanOrEqual(60_000 + 200);
    const left = /_(\d+) more finding\(s\) did not fit in one review/.exec(plan.body);
    expect(Number(left?.[1])).toBeGreaterThan(0);
    expect(plan.body).toContain('Long 0');
    expect(plan.body).not.toContain('Long 29');
  });
});

describe('postReview, odd answers', () => {
  it('reports id 0 and no url when GitHub answers 200 with a body that is not JSON', async () => {
    rawAnswer = 'ok';
    const posted = await postReview(planReview(theReport, 30, redact), theReport, target(), redact);
    expect(posted).toEqual({ id: 0, url: null, inlineRefused: false });
  });

  it('does not resend a 422 when there were no inline comments: GITHUB_API_FAILED at once', async () => {
    answers = [422];
    const plan = planReview(theReport, 0, redact);
    const err = await postReview(plan, theReport, target(), redact).catch((e) => e);
    expect(isBrutalistError(err) && err.code).toBe('GITHUB_API_FAILED');
    expect(err.data).toEqual({ status: 422, detail: 'Line could not be resolved' });
    expect(received).toHaveLength(1);
  });

  it('leaves out the detail when GitHub refuses without a message', async () => {
    answers = [500];
    rawAnswer = '<html>oops</html>';
    const err = await postReview(planReview(theReport, 30, redact), theReport, target(), redact).catch(
      (e) => e,
    );
    expect(isBrutalistError(err) && err.code).toBe('GITHUB_API_FAILED');
    expect(err.data).toEqual({ status: 500 });
  });
});

describe('reviewPostCommand', () => {
  const config = resolveConfig({ overrides: { reviewMaxInlineComments: 30 } });
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brutalist-review-post-'));
    file = join(dir, 'report.json');
    writeFileSync(file, JSON.stringify(theReport));
    vi.stubEnv('GITHUB_TOKEN', TOKEN);
    vi.stubEnv('GITHUB_API_URL', apiUrl);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });
  const sink = () => {
    let text = '';
    const stream = new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    });
    return { stream, text: () => text };
  };
  const run = async (args: string[]) => {
    const out = sink();
    const err = sink();
    const code = await reviewPostCommand(config, args, out.stream, err.stream).catch((e: unknown) => e);
    return { code, stdout: out.text(), stderr: err.text() };
  };
  const usage = async (args: string[]) => {
    const { code } = await run(args);
    return code instanceof UsageError ? [code.command, code.message] : code;
  };

  it('prints its usage for --help and exits 0 without calling GitHub', async () => {
    const r = await run(['--help']);
    expect(r).toMatchObject({ code: 0, stdout: REVIEW_POST_USAGE });
    expect(received).toHaveLength(0);
  });

  it('refuses an unknown option, no report, or two reports as bad usage', async () => {
    expect(await usage(['--nope'])).toEqual(['review-post', expect.stringContaining('--nope')]);
    expect(await usage(['--repo', 'octo/demo', '--pr', '7'])).toEqual([
      'review-post',
      'give exactly one REPORT.json',
    ]);
    expect(await usage([file, file, '--repo', 'octo/demo', '--pr', '7'])).toEqual([
      'review-post',
      'give exactly one REPORT.json',
    ]);
  });

  it('refuses a missing or malformed --repo and a --pr that is not a positive integer', async () => {
    const repoError = ['review-post', '--repo OWNER/NAME is required'];
    expect(await usage([file, '--pr', '7'])).toEqual(repoError);
    expect(await usage([file, '--repo', 'octo', '--pr', '7'])).toEqual(repoError);
    const prError = ['review-post', '--pr N (the pull-request number) is required'];
    expect(await usage([file, '--repo', 'octo/demo'])).toEqual(prError);
    expect(await usage([file, '--repo', 'octo/demo', '--pr', '0'])).toEqual(prError);
    expect(await usage([file, '--repo', 'octo/demo', '--pr', '2.5'])).toEqual(prError);
    expect(received).toHaveLength(0);
  });

  it('refuses to run without GITHUB_TOKEN', async () => {
    vi.stubEnv('GITHUB_TOKEN', '');
    expect(await usage([file, '--repo', 'octo/demo', '--pr', '7'])).toEqual([
      'review-post',
      'GITHUB_TOKEN is not set',
    ]);
  });

  it('posts to $GITHUB_API_URL and prints the review id, inline count and url', async () => {
    const r = await run([file, '--repo', 'octo/demo', '--pr', '7']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'posted review 4242: 3 inline comment(s) https://example.invalid/pr/7#review-4242\n',
    );
    expect(r.stderr).toBe('');
    expect(received.map((q) => q.url)).toEqual(['/api/v3/repos/octo/demo/pulls/7/reviews']);
  });

  it('prefers --api-url over $GITHUB_API_URL', async () => {
    vi.stubEnv('GITHUB_API_URL', 'http://127.0.0.1:9/unused');
    const r = await run([file, '--repo', 'octo/demo', '--pr', '7', '--api-url', apiUrl]);
    expect(r.code).toBe(0);
    expect(received).toHaveLength(1);
  });

  it('says on stderr when GitHub refused the inline comments, and counts none inline', async () => {
    answers = [422];
    rawAnswer = null;
    const r = await run([file, '--repo', 'octo/demo', '--pr', '7']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('brutalist-mcp: GitHub refused the inline comments; posted them in the body.\n');
    expect(r.stdout).toMatch(/^posted review 4242: 0 inline comment\(s\) /);
  });

  it('prints no url when GitHub answers without one', async () => {
    rawAnswer = '{"id": 9}';
    const r = await run([file, '--repo', 'octo/demo', '--pr', '7']);
    expect(r.stdout).toBe('posted review 9: 3 inline comment(s)\n');
  });
});
