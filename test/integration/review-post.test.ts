// review-post against a stub GitHub REST API on loopback: one review, inline only for verified findings on
// lines of the diff, the rest in the body, secrets redacted, API failures as GITHUB_API_FAILED.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type PlannedReview, planReview, postReview } from '../../src/cli/review-post.js';
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
