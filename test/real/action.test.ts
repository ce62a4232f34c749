// The GitHub Action with the real claude 2.1.197 as the critic: action.yml's steps (run as a runner runs a composite
// action) review a temp repository's change, claude answers from the stub model with a findings block, and the
// stub GitHub REST API receives one review with the verified finding inline on its changed line.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ActionRun, runCompositeAction, type StubGithub, stubGithub } from '../support/action.js';
import { REPO } from '../support/harness.js';
import {
  INSTALL_TIMEOUT_MS,
  makeRealSandbox,
  REAL_TEST_TIMEOUT_MS,
  type RealSandbox,
  realServerEnv,
  requireRealClis,
} from '../support/real-clis.js';
import { type TempRepo, tempRepo } from '../support/review.js';
import { StubModelServer } from '../support/stub-model/index.js';

vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

const MARK = `ACTION-REAL-${process.pid}`;
const PLANTED = 'ghp_Zq8xLm2Rt7Vb4Nc8Hj5Ws1Ya6Ed0UkP3oA9f';
const FINDINGS = [
  {
    severity: 'high',
    category: 'correctness',
    title: 'add subtracts',
    file: 'src/app.ts',
    line: 3,
    quote: 'return a - b;',
    why: `Every caller that sums through add gets a difference (and ${PLANTED} is committed).`,
    fix: 'return a + b;',
    confidence: 0.9,
  },
  {
    severity: 'critical',
    category: 'security',
    title: 'eval of user input',
    file: 'src/app.ts',
    line: 2,
    quote: 'eval(userInput)',
    why: 'Remote code execution.',
    fix: 'Remove eval.',
    confidence: 0.4,
  },
];

let stub: StubModelServer;
let sandbox: RealSandbox;
let repo: TempRepo;
let github: StubGithub;
let run: ActionRun;
let headSha = '';

beforeAll(async () => {
  const bins = await requireRealClis();
  stub = await StubModelServer.start();
  stub.when(
    MARK,
    { text: `The change breaks add.\n\n\`\`\`brutalist-findings\n${JSON.stringify(FINDINGS)}\n\`\`\`\n` },
    'anthropic',
  );
  sandbox = makeRealSandbox('brutalist-real-action-');
  github = await stubGithub();
  repo = tempRepo('brutalist-real-action-repo-');
  repo.write('src/app.ts', `// ${MARK}\nexport function add(a: number, b: number) {\n  return a + b;\n}\n`);
  const baseSha = repo.commit('base');
  repo.write('src/app.ts', `// ${MARK}\nexport function add(a: number, b: number) {\n  return a - b;\n}\n`);
  headSha = repo.commit('change');
  run = await runCompositeAction({
    actionPath: REPO,
    workspace: repo.dir,
    runnerTemp: join(sandbox.dir, 'runner'),
    with: { clis: 'claude', 'fail-on': 'high' },
    github: {
      token: 'ghs_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
      repository: 'octo/demo',
      api_url: github.url,
      event: { pull_request: { number: 7, base: { sha: baseSha }, head: { sha: headSha } } },
    },
    env: realServerEnv(sandbox, bins, stub, { BRUTALIST_ROOTS: repo.dir, BRUTALIST_CACHE_TTL_MS: '0' }),
    skip: (step) => step.run?.startsWith('npm ci') === true,
  });
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await github?.close();
  await stub?.close();
  repo?.cleanup();
  sandbox?.cleanup();
});

describe('action.yml with the real claude', () => {
  it('asks claude once with the diff, posts one review and fails the job with 3 after posting', () => {
    const asked = stub.requestsWith(MARK);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked[0]?.promptText).toContain('+  return a - b;');
    expect(run.steps.map((s) => s.outcome)).toEqual([
      'success',
      'success',
      'success',
      'skipped',
      'success',
      'failure',
    ]);
    expect(run.outputs['exit-code']).toBe('3');
    expect(github.posted).toHaveLength(1);
  });

  it('puts the verified finding inline on its changed line and the unverified one only in the body', () => {
    const review = github.posted[0]?.body;
    expect(review?.commit_id).toBe(headSha);
    expect(review?.comments.map((c) => [c.path, c.line])).toEqual([['src/app.ts', 3]]);
    expect(review?.body).toContain('eval of user input');
    expect(review?.body).toContain('Unverified');
    expect(JSON.stringify(review)).not.toContain(PLANTED);
  });
});
