// The GitHub Action end to end: action.yml's steps run the way a runner runs a composite action (inputs, `${{ }}`,
// `if`, $GITHUB_OUTPUT, the job summary) on a temp git repository with a known diff, fake critics answering with a
// findings block that holds planted secrets, and a stub GitHub REST API on loopback that records the review.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewReportSchema } from '../../src/cli/review-report.js';
import {
  type ActionRun,
  evaluate,
  type PostedReview,
  runCompositeAction,
  type StubGithub,
  stubGithub,
} from '../support/action.js';
import { makeSandbox, REPO, serverEnv } from '../support/harness.js';
import { type TempRepo, tempRepo } from '../support/review.js';

// Each run spawns the built CLI twice or more and the fake critic: seconds on a loaded 2-core machine.
const SLOW = { timeout: 120_000 };

/** The token the workflow hands the action; a critic that read it (e.g. from .git/config) must not post it. */
const GITHUB_TOKEN = 'ghs_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
/** A credential the critic quoted from somewhere: its shape alone must get it redacted. */
const PLANTED = 'ghp_Zq8xLm2Rt7Vb4Nc8Hj5Ws1Ya6Ed0UkP3oA9f';
/** What actions/checkout leaves in .git/config (persist-credentials): the token, base64-encoded. */
const BASIC = Buffer.from(`x-access-token:${GITHUB_TOKEN}`).toString('base64');

const BASE_APP = [
  'export function add(a: number, b: number) {',
  '  return a + b;',
  '}',
  '',
  'export function mul(a: number, b: number) {',
  '  return a * b;',
  '}',
  '',
  'export function div(a: number, b: number) {',
  '  return a / b;',
  '}',
  '',
  ...Array.from({ length: 14 }, (_, i) => `export const limit${i} = ${i};`),
];
// The change: line 2 and line 10 (two hunks: 1-5 and 7-13 on the new side).
const HEAD_APP = BASE_APP.map((line, i) =>
  i === 1 ? '  return a - b;' : i === 9 ? '  return a / (b || 1);' : line,
);

const FINDINGS = [
  {
    severity: 'high',
    category: 'correctness',
    title: 'add subtracts',
    file: 'src/app.ts',
    line: 2,
    quote: 'return a - b;',
    why: `Every caller that sums through add gets a difference; the CI token ${PLANTED} is also in the log.`,
    fix: 'return a + b;',
    confidence: 0.9,
  },
  {
    severity: 'medium',
    category: 'correctness',
    title: 'division by zero hidden',
    file: 'src/app.ts',
    line: 24,
    quote: 'return a / (b || 1);',
    why: 'A zero divisor silently divides by one.',
    fix: 'Throw on b === 0.',
    confidence: 0.7,
  },
  {
    severity: 'critical',
    category: 'security',
    title: 'eval of user input',
    file: 'src/app.ts',
    line: 1,
    quote: 'eval(userInput)',
    why: 'Remote code execution.',
    fix: 'Remove eval.',
    confidence: 0.4,
  },
  {
    severity: 'info',
    category: 'secrets',
    title: 'checkout credentials readable',
    file: '.git/config',
    line: null,
    quote: `extraheader = AUTHORIZATION: basic ${BASIC}`,
    why: 'The checkout persisted its token where every tool in the job can read it.',
    fix: 'persist-credentials: false',
    confidence: 0.8,
  },
  {
    severity: 'low',
    category: 'docs',
    title: 'README says nothing',
    file: 'README.md',
    line: 1,
    quote: 'demo',
    why: `A reader cannot tell what the package does. The checkout's token is ${GITHUB_TOKEN}.`,
    fix: 'Describe add.',
    confidence: 0.5,
  },
];

const CRITIQUE = [
  `**Verdict:** add became a subtraction. The token ${PLANTED} and ${GITHUB_TOKEN} were in the repository.`,
  '',
  '```brutalist-findings',
  JSON.stringify(FINDINGS, null, 1),
  '```',
  '',
].join('\n');

const sandbox = makeSandbox('brutalist-action-e2e-');
let repo: TempRepo;
let github: StubGithub;
let posted: PostedReview[] = [];
let run: ActionRun;
let headSha = '';
let baseSha = '';

function action(withInputs: Record<string, string>, runnerTemp: string) {
  const critique = join(sandbox.dir, 'critique.md');
  writeFileSync(critique, CRITIQUE);
  return runCompositeAction({
    actionPath: REPO,
    workspace: repo.dir,
    runnerTemp,
    with: withInputs,
    github: {
      token: GITHUB_TOKEN,
      repository: 'octo/demo',
      api_url: github.url,
      event: { pull_request: { number: 42, base: { sha: baseSha }, head: { sha: headSha } } },
    },
    // What the runner's job env would hold here: the critic CLIs (fakes) and their settings.
    env: serverEnv(sandbox, { FAKE_CLI_TEXT_FILE: critique, BRUTALIST_ROOTS: repo.dir }),
    // The suite builds dist/ once (`npm test` builds first); `npm ci` in the action's checkout is not repeated here.
    skip: (step) => step.run?.startsWith('npm ci') === true,
  });
}

beforeAll(async () => {
  repo = tempRepo('brutalist-action-repo-');
  repo.write('src/app.ts', `${BASE_APP.join('\n')}\n`);
  repo.write('README.md', 'demo\n');
  baseSha = repo.commit('base');
  repo.git('config', 'http.https://github.com/.extraheader', `AUTHORIZATION: basic ${BASIC}`);
  repo.write('src/app.ts', `${HEAD_APP.join('\n')}\n`);
  headSha = repo.commit('change');
  github = await stubGithub();
  posted = github.posted;
  run = await action(
    { 'fail-on': 'high', 'sarif-file': join(sandbox.dir, 'out.sarif') },
    join(sandbox.dir, 'runner'),
  );
}, 180_000);

afterAll(async () => {
  await github?.close();
  repo?.cleanup();
  sandbox.cleanup();
});

describe('action.yml on a pull request', SLOW, () => {
  it('runs review, the SARIF and review-post steps, then fails the job with 3 for the verified high finding', () => {
    expect(run.steps.map((s) => [s.name, s.outcome])).toEqual([
      ['actions/setup-node@v4', 'success'],
      ['Build brutalist-mcp', 'success'],
      ['Review the change', 'success'],
      ['Write SARIF', 'success'],
      ['Post the pull-request review', 'success'],
      ['Fail on findings', 'failure'],
    ]);
    expect(run.code).toBe(3);
    expect(run.outputs['exit-code']).toBe('3');
    const report = reviewReportSchema.parse(JSON.parse(readFileSync(run.outputs.report!, 'utf8')));
    expect(report.base.sha).toBe(baseSha);
    expect(report.head.sha).toBe(headSha);
    expect(report.changedFiles).toEqual([
      {
        path: 'src/app.ts',
        deleted: false,
        ranges: [
          [1, 5],
          [7, 13],
        ],
      },
    ]);
    expect(report.findings.map((f) => [f.title, f.verification, f.line])).toEqual([
      ['eval of user input', 'unverified', 1],
      ['add subtracts', 'verified', 2],
      ['division by zero hidden', 'reanchored', 10],
      ['README says nothing', 'verified', 1],
      ['checkout credentials readable', 'verified', 7],
    ]);
  });

  it('posts one review for the head commit: inline comments on the changed lines, none for the unverified quote', () => {
    expect(posted).toHaveLength(1);
    const [review] = posted;
    expect(review?.url).toBe('/repos/octo/demo/pulls/42/reviews');
    expect(review?.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
    expect(review?.body).toMatchObject({ commit_id: headSha, event: 'COMMENT' });
    expect(review?.body.comments.map((c) => [c.path, c.line, c.side])).toEqual([
      ['src/app.ts', 2, 'RIGHT'],
      ['src/app.ts', 10, 'RIGHT'],
    ]);
    expect(review?.body.comments[0]?.body).toContain('add subtracts');
    expect(review?.body.comments[1]?.body).toContain('division by zero hidden');
    expect(review?.body.body).toContain('eval of user input');
    expect(review?.body.body).toContain('README says nothing');
    expect(review?.body.body).toContain('checkout credentials readable');
    expect(review?.body.body).toMatch(/1 unverified/);
  });

  it('never posts a secret: the planted credential and the workflow token come out redacted', () => {
    const sent = JSON.stringify(posted.map((p) => p.body));
    expect(sent).not.toContain(PLANTED);
    expect(sent).not.toContain(GITHUB_TOKEN);
    expect(sent).not.toContain(BASIC);
    expect(sent).toContain('checkout credentials readable');
    expect(sent).not.toContain(repo.dir);
    // The critique text around the secrets survived: only the secrets went.
    expect(posted[0]?.body.comments[0]?.body).toContain('the CI token');
  });

  it('writes the markdown view to the job summary and a valid SARIF file, without the planted secret', () => {
    expect(run.summary).toMatch(/^## Brutalist review: /);
    expect(run.summary).toContain('add subtracts');
    for (const secret of [PLANTED, GITHUB_TOKEN, BASIC]) expect(run.summary).not.toContain(secret);
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    (formats as unknown as { default: (a: Ajv2020) => void }).default(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(join(REPO, 'test/fixtures/sarif/sarif-schema-2.1.0.json'), 'utf8')),
    );
    const sarif = readFileSync(join(sandbox.dir, 'out.sarif'), 'utf8');
    expect(validate(JSON.parse(sarif))).toBe(true);
    for (const secret of [PLANTED, GITHUB_TOKEN, BASIC]) expect(sarif).not.toContain(secret);
  });

  it('posts nothing and passes with post-review false and the default fail-on', async () => {
    const before = posted.length;
    const quiet = await action({ 'post-review': 'false' }, join(sandbox.dir, 'runner-quiet'));
    expect(quiet.steps.map((s) => s.outcome)).toEqual([
      'success',
      'success',
      'success',
      'skipped',
      'skipped',
      'skipped',
    ]);
    expect(quiet.code).toBe(0);
    expect(quiet.outputs['exit-code']).toBe('0');
    expect(posted.length).toBe(before);
  });
});

describe('the expression subset the runner stand-in evaluates', () => {
  const context = {
    inputs: { base: '', 'sarif-file': 'x.sarif' },
    github: { event: { pull_request: { number: 42, base: { sha: 'abc' } } } },
    steps: { review: { outputs: { 'exit-code': '3' } } },
  };

  it('reads paths with hyphens, takes the first truthy value of ||, and compares strings', () => {
    expect(evaluate("inputs.base || github.event.pull_request.base.sha || 'origin/main'", context)).toBe(
      'abc',
    );
    expect(evaluate("inputs.base || github.event.push.sha || 'origin/main'", context)).toBe('origin/main');
    expect(evaluate("inputs.sarif-file != ''", context)).toBe(true);
    expect(evaluate("steps.review.outputs.exit-code == '3'", context)).toBe(true);
    expect(evaluate("inputs.base == 'true' && github.event.pull_request.number", context)).toBe(false);
  });

  it('refuses what it does not implement (a function call) instead of guessing', () => {
    expect(() => evaluate('always()', context)).toThrow(/unsupported/);
  });
});
