// Runs a composite action's steps the way a GitHub runner does: inputs with their defaults, `${{ }}` expressions in
// `env`, `working-directory` and `if`, each `run` under `bash --noprofile --norc -eo pipefail`, step outputs read from
// $GITHUB_OUTPUT, the job summary from $GITHUB_STEP_SUMMARY, later steps skipped after a failure.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

interface ActionStep {
  readonly id?: string;
  readonly name?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly shell?: string;
  readonly 'working-directory'?: string;
  readonly env?: Record<string, string>;
}

interface ActionFile {
  readonly inputs: Record<string, { default?: string }>;
  readonly outputs: Record<string, { value: string }>;
  readonly runs: { using: string; steps: ActionStep[] };
}

export interface StepRun {
  readonly name: string;
  readonly outcome: 'success' | 'failure' | 'skipped';
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ActionRun {
  readonly steps: StepRun[];
  /** The action's outputs, evaluated after the steps. */
  readonly outputs: Record<string, string>;
  /** What the steps appended to $GITHUB_STEP_SUMMARY. */
  readonly summary: string;
  /** The exit status of the first failed step, else 0 (what fails the job). */
  readonly code: number;
}

export interface ActionRunOptions {
  /** The action's checkout (`github.action_path`); its dist/ must be built. */
  readonly actionPath: string;
  /** The job's working directory (`github.workspace`): the checked-out repository. */
  readonly workspace: string;
  /** A scratch folder for RUNNER_TEMP and the runner's command files. */
  readonly runnerTemp: string;
  /** `with:` of the workflow step; missing inputs take their declared defaults. */
  readonly with?: Record<string, string>;
  /** The `github` context: token, repository, event, api_url. */
  readonly github: Record<string, unknown>;
  /** The job's environment (the runner's env plus the workflow step's `env:`). */
  readonly env: Record<string, string>;
  /** Steps the test stands in for (e.g. the build, done once by the suite); their outcome is success. */
  readonly skip?: (step: ActionStep) => boolean;
}

type Value = string | number | boolean | null | Record<string, unknown>;

/** Evaluates the subset of GitHub's expression language an action uses: paths, '' strings, ==, !=, !, &&, ||, (). */
export function evaluate(expression: string, context: Record<string, unknown>): Value {
  const tokens = expression.match(/\s*('(?:[^']|'')*'|&&|\|\||==|!=|!|\(|\)|[A-Za-z_][\w.-]*|\d+|\S)/g) ?? [];
  const list = tokens.map((t) => t.trim());
  let at = 0;
  const peek = () => list[at];
  const truthy = (v: Value) => v !== null && v !== false && v !== '' && v !== 0;
  const primary = (): Value => {
    const token = list[at++];
    if (token === undefined) throw new Error(`expression ended early: ${expression}`);
    if (token === '(') {
      const v = or();
      if (list[at++] !== ')') throw new Error(`missing ) in ${expression}`);
      return v;
    }
    if (token === '!') return !truthy(primary());
    if (token.startsWith("'")) return token.slice(1, -1).replaceAll("''", "'");
    if (/^\d+$/.test(token)) return Number(token);
    if (token === 'true' || token === 'false') return token === 'true';
    if (!/^[A-Za-z_]/.test(token) || peek() === '(')
      throw new Error(`unsupported in ${expression}: ${token}`);
    let v: unknown = context;
    for (const part of token.split('.'))
      v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : null;
    return (v ?? null) as Value;
  };
  const compare = (): Value => {
    const left = primary();
    const op = peek();
    if (op !== '==' && op !== '!=') return left;
    at++;
    const right = primary();
    const same = String(left ?? '').toLowerCase() === String(right ?? '').toLowerCase();
    return op === '==' ? same : !same;
  };
  const and = (): Value => {
    let v = compare();
    while (peek() === '&&') {
      at++;
      const right = compare();
      v = truthy(v) ? right : v;
    }
    return v;
  };
  const or = (): Value => {
    let v = and();
    while (peek() === '||') {
      at++;
      const right = and();
      v = truthy(v) ? v : right;
    }
    return v;
  };
  const result = or();
  if (at !== list.length) throw new Error(`unexpected ${peek()} in ${expression}`);
  return result;
}

/** Replaces each `${{ expr }}` in a string with its value, as the runner does for env, with and working-directory. */
export function interpolate(text: string, context: Record<string, unknown>): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, expr: string) => {
    const v = evaluate(expr, context);
    return v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** Reads a $GITHUB_OUTPUT file: `name=value` lines and `name<<DELIM` … `DELIM` blocks. */
export function readOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) body.push(lines[i] ?? '');
      out[heredoc[1] as string] = body.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

function bash(script: string, cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Runs the composite action at `actionPath/action.yml` once, step by step. */
export async function runCompositeAction(options: ActionRunOptions): Promise<ActionRun> {
  const action = parseYaml(readFileSync(join(options.actionPath, 'action.yml'), 'utf8')) as ActionFile;
  if (action.runs.using !== 'composite') throw new Error(`not a composite action: ${action.runs.using}`);
  const github: Record<string, unknown> = {
    ...options.github,
    action_path: options.actionPath,
    workspace: options.workspace,
  };
  const base = { github, steps: {} as Record<string, { outputs: Record<string, string> }> };
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) {
    inputs[name] = options.with?.[name] ?? interpolate(spec.default ?? '', base);
  }
  const context = { ...base, inputs };
  mkdirSync(options.runnerTemp, { recursive: true });
  const summaryFile = join(options.runnerTemp, 'step-summary.md');
  writeFileSync(summaryFile, '');
  const runs: StepRun[] = [];
  let failed: number | null = null;
  for (const [index, step] of action.runs.steps.entries()) {
    const name = step.name ?? step.uses ?? `step ${index}`;
    // Composite steps default to `if: success()`: nothing runs after a failure (no step here asks for always()).
    const wanted = failed === null && (step.if === undefined || Boolean(evaluate(step.if, context)));
    if (!wanted) {
      runs.push({ name, outcome: 'skipped', code: null, stdout: '', stderr: '' });
      continue;
    }
    if (step.run === undefined || options.skip?.(step)) {
      runs.push({ name, outcome: 'success', code: 0, stdout: '', stderr: '' });
      continue;
    }
    if (step.shell !== 'bash')
      throw new Error(`step ${name}: only shell: bash is supported, got ${step.shell}`);
    const outputFile = join(options.runnerTemp, `output-${index}`);
    writeFileSync(outputFile, '');
    const env: Record<string, string> = {
      ...options.env,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTION_PATH: options.actionPath,
      GITHUB_WORKSPACE: options.workspace,
      GITHUB_REPOSITORY: String(github.repository ?? ''),
      GITHUB_API_URL: String(github.api_url ?? ''),
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TEMP: options.runnerTemp,
    };
    for (const [key, value] of Object.entries(step.env ?? {})) env[key] = interpolate(value, context);
    const cwd = step['working-directory']
      ? interpolate(step['working-directory'], context)
      : options.workspace;
    const r = await bash(step.run, cwd, env);
    if (step.id) context.steps[step.id] = { outputs: readOutputs(readFileSync(outputFile, 'utf8')) };
    runs.push({ name, outcome: r.code === 0 ? 'success' : 'failure', ...r });
    if (r.code !== 0) failed = r.code ?? 1;
  }
  const outputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.outputs)) outputs[name] = interpolate(spec.value, context);
  return { steps: runs, outputs, summary: readFileSync(summaryFile, 'utf8'), code: failed ?? 0 };
}

/** One `POST …/reviews` as the stub GitHub REST API received it. */
export interface PostedReview {
  readonly url: string;
  readonly authorization: string | undefined;
  readonly body: {
    commit_id: string;
    event: string;
    body: string;
    comments: { path: string; line: number; start_line?: number; side: string; body: string }[];
  };
}

export interface StubGithub {
  readonly url: string;
  readonly posted: PostedReview[];
  close(): Promise<void>;
}

/** A stub GitHub REST API on loopback: records every review it is sent and answers 200 with a review id. */
export async function stubGithub(): Promise<StubGithub> {
  const posted: PostedReview[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      posted.push({ url: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(data) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 99, html_url: 'https://github.example/review/99' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posted,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
