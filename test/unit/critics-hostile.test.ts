// The adapters' defences against a hostile target, as argv and env: no target-controlled settings, trust or
// rules; file tools off when there is nothing to read; cloud credentials only for the provider that is on.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  CODEX_UNTRUSTED_SHOWN,
  claudeAdapter,
  codexAdapter,
  GEMINI_NO_FILE_TOOLS_POLICY_PATH,
  GEMINI_SYSTEM_DEFAULTS_PATH,
  geminiAdapter,
} from '../../src/critics/index.js';
import { buildChildEnv } from '../../src/process/index.js';

const valueAfter = (args: readonly string[], flag: string) => args[args.indexOf(flag) + 1];

describe('claude: nothing from the target', () => {
  it('loads settings from the user source only and never the git status of the target', () => {
    const inv = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined);
    expect(valueAfter(inv.args, '--setting-sources')).toBe('user');
    expect(inv.args).toContain('--strict-mcp-config');
    expect(inv.env.CLAUDE_CODE_DISABLE_GIT_INSTRUCTIONS).toBe('1');
  });

  it('offers no tool at all when the run has nothing to read, and still denies the rest', () => {
    const none = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined, { fileAccess: 'none' });
    expect(valueAfter(none.args, '--tools')).toBe('');
    expect(valueAfter(none.args, '--disallowedTools')).toContain('Bash');
    const read = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined, { fileAccess: 'read' });
    expect(valueAfter(read.args, '--tools')).toBe('Read,Glob,Grep');
  });
});

describe('codex: nothing from the target', () => {
  it('marks the run dir and each parent untrusted in one inline table, and loads no rules', () => {
    const inv = codexAdapter.buildInvocation({ prompt: 'p' }, 'gpt-5', { cwd: '/srv/my.repo/src' });
    expect(inv.args).toContain('--ignore-rules');
    const i = inv.args.indexOf(CODEX_UNTRUSTED_SHOWN);
    expect(i).toBe(-1);
    const override = inv.args.find((a) => a.startsWith('projects='));
    expect(override).toBe(
      'projects={"/srv/my.repo/src"={trust_level="untrusted"},"/srv/my.repo"={trust_level="untrusted"},' +
        '"/srv"={trust_level="untrusted"},"/"={trust_level="untrusted"}}',
    );
    expect(inv.args.slice(-3)).toEqual(['-m', 'gpt-5', '-']);
  });

  it('reports argv without the host paths of the override', () => {
    const inv = codexAdapter.buildInvocation({ prompt: 'p' }, undefined, {
      cwd: '/home/alice/secret-project',
    });
    expect(inv.shownArgs).toContain(CODEX_UNTRUSTED_SHOWN);
    expect(JSON.stringify(inv.shownArgs)).not.toContain('alice');
    expect(inv.shownArgs?.length).toBe(inv.args.length);
  });

  it('quotes a run dir with quotes and backslashes as a valid TOML key', () => {
    const inv = codexAdapter.buildInvocation({ prompt: 'p' }, undefined, { cwd: '/t/a"b\\c' });
    expect(inv.args.find((a) => a.startsWith('projects='))).toContain('"/t/a\\"b\\\\c"={');
  });

  it('has no trust override when no run dir is known', () => {
    const inv = codexAdapter.buildInvocation({ prompt: 'p' }, undefined);
    expect(inv.args.some((a) => a.startsWith('projects='))).toBe(false);
    expect(inv.shownArgs).toBeUndefined();
  });
});

describe('gemini: nothing from the target', () => {
  it('ships system defaults that turn folder trust and the local .env off', () => {
    expect(JSON.parse(readFileSync(GEMINI_SYSTEM_DEFAULTS_PATH, 'utf8'))).toEqual({
      security: { folderTrust: { enabled: false } },
      advanced: { ignoreLocalEnv: true },
    });
  });

  it('denies the file tools through the shipped policy when the run has nothing to read', () => {
    const inv = geminiAdapter.buildInvocation({ prompt: 'p' }, 'gemini-2.5-pro', { fileAccess: 'none' });
    expect(valueAfter(inv.args, '--policy')).toBe(GEMINI_NO_FILE_TOOLS_POLICY_PATH);
    expect(existsSync(GEMINI_NO_FILE_TOOLS_POLICY_PATH)).toBe(true);
    const policy = readFileSync(GEMINI_NO_FILE_TOOLS_POLICY_PATH, 'utf8');
    for (const tool of ['read_file', 'read_many_files', 'list_directory', 'glob', 'grep_search']) {
      expect(policy).toContain(`"${tool}"`);
    }
    expect(inv.shownArgs).toContain('<no-file-tools.toml>');
    expect(inv.args.slice(-2)).toEqual(['-p', '']);
    expect(geminiAdapter.buildInvocation({ prompt: 'p' }, undefined).args).not.toContain('--policy');
  });
});

describe('env per critic', () => {
  const server = {
    PATH: '/usr/bin',
    ANTHROPIC_API_KEY: 'ant',
    CLAUDE_CODE_MAX_RETRIES: '0',
    AWS_ACCESS_KEY_ID: 'aws-id',
    AWS_SECRET_ACCESS_KEY: 'aws-secret',
    AWS_REGION: 'eu-west-1',
    GOOGLE_APPLICATION_CREDENTIALS: '/keys/sa.json',
    GOOGLE_CLOUD_PROJECT: 'proj',
    GOOGLE_CLIENT_SECRET: 'oauth-client-secret',
    GOOGLE_API_KEY: 'g-key',
    CLOUD_ML_REGION: 'us-east5',
    VERTEX_REGION_CLAUDE_4_5_SONNET: 'europe-west1',
    GEMINI_API_KEY: 'gem',
    OPENAI_API_KEY: 'oai',
  };
  const childEnv = (critic: keyof typeof ADAPTERS, env: Record<string, string>) =>
    buildChildEnv(env, { allow: ADAPTERS[critic].envAllowlist(env) });

  it('claude gets no AWS or Google credentials with Bedrock and Vertex off', () => {
    const env = childEnv('claude', server);
    expect(env.ANTHROPIC_API_KEY).toBe('ant');
    expect(env.CLAUDE_CODE_MAX_RETRIES).toBe('0');
    expect(Object.keys(env).filter((k) => /^(AWS_|GOOGLE_|CLOUD_ML|VERTEX_)/.test(k))).toEqual([]);
  });

  it.each(['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_ANTHROPIC_AWS', 'CLAUDE_CODE_USE_MANTLE'])(
    'claude gets AWS_* (and still no Google credentials) when %s is on',
    (flag) => {
      const env = childEnv('claude', { ...server, [flag]: 'true' });
      expect(env.AWS_SECRET_ACCESS_KEY).toBe('aws-secret');
      expect(env.AWS_REGION).toBe('eu-west-1');
      expect(env).not.toHaveProperty('GOOGLE_APPLICATION_CREDENTIALS');
    },
  );

  it('claude reads a provider flag the way Claude Code does: 0, false, off and empty are off', () => {
    for (const value of ['0', 'false', 'off', '', 'no']) {
      expect(childEnv('claude', { ...server, CLAUDE_CODE_USE_BEDROCK: value })).not.toHaveProperty(
        'AWS_SECRET_ACCESS_KEY',
      );
    }
    expect(childEnv('claude', { ...server, CLAUDE_CODE_USE_BEDROCK: ' YES ' })).toHaveProperty(
      'AWS_SECRET_ACCESS_KEY',
    );
  });

  it('claude gets the Vertex variables, and no AWS ones, when CLAUDE_CODE_USE_VERTEX is on', () => {
    const env = childEnv('claude', { ...server, CLAUDE_CODE_USE_VERTEX: '1' });
    expect(env).toMatchObject({
      GOOGLE_APPLICATION_CREDENTIALS: '/keys/sa.json',
      GOOGLE_CLOUD_PROJECT: 'proj',
      CLOUD_ML_REGION: 'us-east5',
      VERTEX_REGION_CLAUDE_4_5_SONNET: 'europe-west1',
    });
    expect(env).not.toHaveProperty('GOOGLE_CLIENT_SECRET');
    expect(env).not.toHaveProperty('GOOGLE_API_KEY');
    expect(Object.keys(env).filter((k) => k.startsWith('AWS_'))).toEqual([]);
  });

  it('gemini gets its own Google variables but not GOOGLE_CLIENT_SECRET, AWS or other vendors', () => {
    const env = childEnv('gemini', server);
    expect(env).toMatchObject({
      GEMINI_API_KEY: 'gem',
      GOOGLE_API_KEY: 'g-key',
      GOOGLE_CLOUD_PROJECT: 'proj',
      GOOGLE_APPLICATION_CREDENTIALS: '/keys/sa.json',
    });
    for (const name of [
      'GOOGLE_CLIENT_SECRET',
      'AWS_SECRET_ACCESS_KEY',
      'ANTHROPIC_API_KEY',
      'OPENAI_API_KEY',
    ]) {
      expect(env).not.toHaveProperty(name);
    }
  });

  it('codex gets OpenAI variables only', () => {
    const env = childEnv('codex', { ...server, CLAUDE_CODE_USE_BEDROCK: '1' });
    expect(env.OPENAI_API_KEY).toBe('oai');
    expect(Object.keys(env).filter((k) => /^(AWS_|GOOGLE_|ANTHROPIC_|GEMINI_)/.test(k))).toEqual([]);
  });
});
