/** Command-line parsing in process: `roast` and `serve` arguments and `keys` commands, each mistake a usage error. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRoastArgs, UsageError } from '../../src/cli/roast-args.js';
import { keysCommand, parseServeArgs } from '../../src/cli/serve-args.js';
import { resolveConfig } from '../../src/engine/config.js';
import { isBrutalistError } from '../../src/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'brutalist-cli-args-'));
writeFileSync(join(dir, 'notes.md'), 'the plan');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const roast = (...args: string[]) => parseRoastArgs(args, dir, () => 'from stdin');

/** The message of the UsageError `fn` throws (fails if it throws anything else). */
function usageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('parseRoastArgs', () => {
  it('builds roast tool arguments from an abstract domain, critics, models and flags', () => {
    const parsed = roast(
      'idea',
      '--context',
      'an app',
      '--cli',
      'claude',
      '--cli',
      'codex',
      '--model',
      'claude=opus',
      '--fresh',
      '--json',
      '--verbose',
    );
    expect(parsed).toEqual({
      help: false,
      json: true,
      toolArgs: {
        domain: 'idea',
        target: undefined,
        context: 'an app',
        clis: ['claude', 'codex'],
        models: { claude: 'opus' },
        force_refresh: true,
        verbose: true,
      },
    });
  });

  it('reads the context from stdin ("-") or a file, and defaults a filesystem target to "."', () => {
    expect(roast('idea', '--context', '-').toolArgs.context).toBe('from stdin');
    expect(roast('idea', '--context-file', join(dir, 'notes.md')).toolArgs.context).toBe('the plan');
    expect(roast('codebase').toolArgs).toMatchObject({ domain: 'codebase', target: '.', models: undefined });
    expect(roast('--help')).toEqual({ help: true, toolArgs: {}, json: false });
  });

  it.each([
    [['idea', '--nope'], /unknown option --nope/],
    [['idea', '--fresh=1'], /--fresh takes no value/],
    [['idea', '--context'], /--context needs a value \(text, or "-"/],
    [['idea', '--target'], /--target needs a value$/],
    [[], /which domain\?/],
    [['poetry'], /unknown domain "poetry"/],
    [['idea', 'extra'], /unexpected argument "extra"/],
    [['idea', '--cli', 'bard'], /--cli bard: the critics are/],
    [['idea', '--context', 'x', '--model', 'bard=x'], /--model bard=x: the critic must be one of/],
    [['idea', '--context', 'x', '--model', 'claude'], /give the model as claude=MODEL/],
    [['idea', '--context', 'x', '--context-file', 'f'], /not both/],
    [['idea', '--context-file', 'missing.md'], /no such file/],
    [['idea', '--context-file', '.'], /it is a folder/],
    [['idea'], /idea critiques the material you give/],
    [['idea', '--context', 'x', '--client', '{"id":'], /--client \{"id":: give one JSON object/],
  ])('refuses %j with a usage error', (args, message) => {
    expect(usageOf(() => roast(...args))).toMatch(message);
  });

  it('takes the routed ids it is given in --cli and --model, and per-run clients as JSON in --client', () => {
    const client = {
      id: 'kimi',
      provider: 'claude',
      baseUrl: 'https://gw.example',
      authTokenEnv: 'KIMI',
      model: 'k2',
    };
    const parsed = parseRoastArgs(
      [
        'idea',
        '--context',
        'x',
        '--cli',
        'glm',
        '--model',
        'glm=glm-4.6',
        '--client',
        JSON.stringify(client),
      ],
      dir,
      () => '',
      ['claude', 'codex', 'glm'],
    );
    expect(parsed.toolArgs).toMatchObject({ clis: ['glm'], models: { glm: 'glm-4.6' }, clients: [client] });
    // A routed id the config does not name is refused like any unknown critic, with the names it knows.
    expect(usageOf(() => roast('idea', '--context', 'x', '--cli', 'glm'))).toMatch(
      /--cli glm: the critics are claude, codex, gemini/,
    );
  });

  it('reports a missing filesystem target as PATH_NOT_FOUND naming the field', () => {
    try {
      roast('codebase', '--target', 'no/such/dir');
      expect.unreachable();
    } catch (err) {
      expect(isBrutalistError(err) && err.code).toBe('PATH_NOT_FOUND');
      expect((err as { data: unknown }).data).toEqual({ field: 'target' });
    }
  });
});

describe('parseServeArgs', () => {
  it('takes --http with --host and --port, inline or separate', () => {
    expect(parseServeArgs(['--http', '--host', '0.0.0.0', '--port=8080'])).toEqual({
      overrides: { httpHost: '0.0.0.0', httpPort: 8080 },
    });
    expect(parseServeArgs(['--http'])).toEqual({ overrides: {} });
  });

  it.each([
    [['--port', '1'], /only with --http/],
    [['--http', '--port', 'x'], /--port must be a port number/],
    [['--http', '--host'], /--host needs a value/],
    [['--http', '--host='], /--host needs a value/],
    [['--http', '--verbose'], /does not take "--verbose"/],
  ])('refuses %j with INVALID_ARGUMENT', (args, message) => {
    try {
      parseServeArgs(args);
      expect.unreachable();
    } catch (err) {
      expect(isBrutalistError(err) && err.code).toBe('INVALID_ARGUMENT');
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('keysCommand', () => {
  const file = join(dir, 'keys');
  const config = resolveConfig({ overrides: { apiKeysFile: file } });
  const run = (cfg: typeof config, ...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const status = keysCommand(cfg, args, { write: (t) => out.push(t) }, { write: (t) => err.push(t) });
    return { status, out: out.join(''), err: err.join('') };
  };

  it('adds a key (token on stdout only, its hash in the file) and revokes it', () => {
    const added = run(config, 'add', 'ci', '--scopes', 'roast');
    expect(added.status).toBe(0);
    const token = added.out.trim();
    expect(token.length).toBeGreaterThan(20);
    expect(readFileSync(file, 'utf8')).not.toContain(token);
    expect(run(config, 'add', 'ops', '--scopes=roast,debate').status).toBe(0);
    expect(run(config, 'revoke', 'ci')).toMatchObject({ status: 0, err: 'key ci revoked\n' });
    expect(run(config, 'revoke', 'ci')).toMatchObject({ status: 1, err: 'no key named ci\n' });
  });

  it('prints the usage with status 2 for a wrong command, and asks for the keys file when none is set', () => {
    expect(run(config, 'list', 'x').status).toBe(2);
    expect(run(config, 'add', 'x').status).toBe(2);
    expect(run(config, 'add', 'x', '--scopes', 'roast', 'extra').status).toBe(2);
    expect(run(config, 'revoke', 'x', 'extra').status).toBe(2);
    expect(run(resolveConfig(), 'add', 'x', '--scopes', 'roast')).toMatchObject({
      status: 2,
      err: expect.stringMatching(/Set BRUTALIST_API_KEYS_FILE/),
    });
  });
});

describe('parseRoastArgs, a flag with a short form', () => {
  it('names the long form when -h/--help is given a value', () => {
    expect(usageOf(() => roast('idea', '--help=yes'))).toBe('--help takes no value');
  });
});
