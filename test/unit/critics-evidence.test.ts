import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkEvidenceNames,
  evidenceSupported,
  PLAYWRIGHT_DENIED_TOOLS,
  resolveEvidenceServers,
} from '../../src/critics/evidence.js';
import { claudeAdapter, codexAdapter, geminiAdapter } from '../../src/critics/index.js';
import { isBrutalistError } from '../../src/errors/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'brutalist-evidence-test-'));
  dirs.push(d);
  return d;
};
const PROXY = 'http://127.0.0.1:9';
const config = {
  evidenceServers: { docs: { command: '/usr/bin/docs-mcp', args: ['--stdio'], env: { DOCS_MODE: 'ro' } } },
  playwrightChromiumPath: '/usr/bin/chromium',
  evidenceStartupTimeoutMs: 60_500,
};

describe('the evidence registry', () => {
  it('knows playwright and the config file servers, and refuses any other name', () => {
    expect(() => checkEvidenceNames(['playwright', 'docs'], config)).not.toThrow();
    try {
      checkEvidenceNames(['filesystem'], config);
      expect.unreachable();
    } catch (err) {
      expect(isBrutalistError(err) && err.code).toBe('INVALID_ARGUMENT');
    }
  });

  it("runs playwright on the machine's Chromium, headless, isolated, no downloads, through the proxy", () => {
    const dir = scratch();
    const [pw] = resolveEvidenceServers(['playwright'], config, {
      scratchDir: dir,
      proxyUrl: 'http://127.0.0.1:9',
    });
    const cfgPath = pw!.args[pw!.args.indexOf('--config') + 1]!;
    expect(statSync(cfgPath).mode & 0o777).toBe(0o600);
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    expect(cfg.browser).toMatchObject({
      browserName: 'chromium',
      isolated: true,
      launchOptions: {
        headless: true,
        executablePath: '/usr/bin/chromium',
        proxy: { server: 'http://127.0.0.1:9' },
      },
      contextOptions: { acceptDownloads: false },
    });
    expect(cfg.outputDir.startsWith(dir)).toBe(true);
    expect(pw!.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD).toBe('1');
    expect(pw!.deniedTools).toContain('browser_run_code_unsafe');
  });

  it('will not start the browser without its policy proxy', () => {
    expect(() => resolveEvidenceServers(['playwright'], config, { scratchDir: scratch() })).toThrow();
  });
});

describe('claude with evidence servers', () => {
  it('writes a 0600 --mcp-config with only the named servers, strict, and allows only their tools', () => {
    const dir = scratch();
    const evidence = resolveEvidenceServers(['docs'], config, { scratchDir: dir });
    const inv = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined, {
      fileAccess: 'read',
      scratchDir: () => dir,
      evidence,
    });
    const at = inv.args.indexOf('--mcp-config');
    const file = inv.args[at + 1]!;
    expect(inv.args).toContain('--strict-mcp-config');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).mcpServers)).toEqual(['docs']);
    expect(inv.args[inv.args.indexOf('--allowedTools') + 1]).toBe('mcp__docs');
    expect(inv.shownArgs).toContain('<mcp-config.json>');
    expect(inv.shownArgs).not.toContain(file);
    expect(inv.env.MCP_CONNECTION_NONBLOCKING).toBe('0');
    // A filesystem run keeps its read tools and gets no web.
    expect(inv.args[inv.args.indexOf('--tools') + 1]).toBe('Read,Glob,Grep');
    expect(inv.args[inv.args.indexOf('--disallowedTools') + 1]).toContain('WebFetch');
  });

  it('gives web tools only to a run with nothing to read', () => {
    const web = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined, {
      fileAccess: 'none',
      webTools: true,
      webProxyUrl: PROXY,
    });
    expect(web.args[web.args.indexOf('--tools') + 1]).toBe('WebFetch,WebSearch');
    expect(web.args[web.args.indexOf('--disallowedTools') + 1]).not.toContain('WebFetch');
    const reading = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined, {
      fileAccess: 'read',
      webTools: true,
      webProxyUrl: PROXY,
    });
    expect(reading.args[reading.args.indexOf('--tools') + 1]).toBe('Read,Glob,Grep');
    expect(reading.args[reading.args.indexOf('--disallowedTools') + 1]).toContain('WebSearch');
    const plain = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined, { fileAccess: 'none' });
    expect(plain.args[plain.args.indexOf('--tools') + 1]).toBe('');
    expect(plain.args).not.toContain('--mcp-config');
  });

  it('sends WebFetch through the run URL-policy proxy, the model API exempted, and skips the claude.ai preflight', () => {
    const web = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined, {
      fileAccess: 'none',
      webTools: true,
      webProxyUrl: PROXY,
    });
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy']) {
      expect(web.env[name]).toBe(PROXY);
    }
    expect(web.env.NO_PROXY).toBe('api.anthropic.com');
    expect(web.env.no_proxy).toBe('api.anthropic.com');
    expect(JSON.parse(web.args[web.args.indexOf('--settings') + 1]!)).toEqual({
      skipWebFetchPreflight: true,
    });
    const gateway = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined, {
      fileAccess: 'none',
      webTools: true,
      webProxyUrl: PROXY,
      baseUrl: 'http://127.0.0.1:8123/anthropic',
    });
    expect(gateway.env.NO_PROXY).toBe('127.0.0.1:8123');
  });

  it('keeps the web tools denied when the run has no proxy to fetch through', () => {
    const bare = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined, {
      fileAccess: 'none',
      webTools: true,
    });
    expect(bare.args[bare.args.indexOf('--tools') + 1]).toBe('');
    expect(bare.args[bare.args.indexOf('--disallowedTools') + 1]).toContain('WebFetch');
    expect(bare.args).not.toContain('--settings');
    expect(bare.env.HTTPS_PROXY).toBeUndefined();
  });
});

describe('codex with evidence servers', () => {
  it('passes them as a per-run -c mcp_servers override, denied tools disabled', () => {
    const dir = scratch();
    const evidence = resolveEvidenceServers(['playwright', 'docs'], config, {
      scratchDir: dir,
      proxyUrl: 'http://127.0.0.1:9',
    });
    const inv = codexAdapter.buildInvocation({ prompt: 'p' }, undefined, { evidence });
    const overrides = inv.args.filter((_a, i) => inv.args[i - 1] === '-c');
    expect(overrides).toContain('mcp_servers.docs.command="/usr/bin/docs-mcp"');
    expect(overrides).toContain('mcp_servers.docs.args=["--stdio"]');
    expect(overrides).toContain('mcp_servers.docs.env={DOCS_MODE="ro"}');
    expect(overrides.some((o) => o.startsWith('mcp_servers.playwright.disabled_tools=['))).toBe(true);
    // Required: codex exec waits for the servers' tools before its first request (else none is offered).
    expect(overrides).toContain('mcp_servers.docs.required=true');
    expect(overrides).toContain('mcp_servers.docs.startup_timeout_sec=61');
    expect(inv.args.at(-1)).toBe('-');
  });
});

describe('gemini with evidence servers', () => {
  it("writes the run's own 0600 .gemini/settings.json in its private folder, trusts it, names only these servers", () => {
    const cwd = scratch();
    const evidence = resolveEvidenceServers(['playwright', 'docs'], config, {
      scratchDir: scratch(),
      proxyUrl: PROXY,
    });
    const inv = geminiAdapter.buildInvocation({ prompt: 'p' }, undefined, {
      evidence,
      cwd,
      fileAccess: 'none',
    });
    const settingsPath = join(cwd, '.gemini', 'settings.json');
    expect(statSync(settingsPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(cwd, '.gemini')).mode & 0o777).toBe(0o700);
    const settings = JSON.parse(readFileSync(settingsPath, 'utf8'));
    expect(Object.keys(settings.mcpServers)).toEqual(['playwright', 'docs']);
    expect(settings.mcpServers.docs).toEqual({
      command: '/usr/bin/docs-mcp',
      args: ['--stdio'],
      env: { DOCS_MODE: 'ro' },
      trust: true,
    });
    expect(settings.mcpServers.playwright.excludeTools).toEqual(PLAYWRIGHT_DENIED_TOOLS);
    // The upward .gemini/.env search of a trusted folder ends at the run's own empty one.
    expect(readFileSync(join(cwd, '.gemini', '.env'), 'utf8')).toBe('');
    const i = inv.args.indexOf('--allowed-mcp-server-names');
    expect(inv.args.slice(i + 1, i + 3)).toEqual(['playwright', 'docs']);
    expect(inv.env.GEMINI_CLI_TRUST_WORKSPACE).toBe('true');
    // A confined run can write the browser's output folder.
    expect(inv.writablePaths).toEqual(evidence.flatMap((e) => e.writable));
  });

  it('writes nothing and trusts nothing in a target folder (a run with file access)', () => {
    const cwd = scratch();
    const evidence = resolveEvidenceServers(['docs'], config, { scratchDir: scratch() });
    const inv = geminiAdapter.buildInvocation({ prompt: 'p' }, undefined, {
      evidence,
      cwd,
      fileAccess: 'read',
    });
    expect(existsSync(join(cwd, '.gemini'))).toBe(false);
    expect(inv.args).not.toContain('--allowed-mcp-server-names');
    expect(inv.env.GEMINI_CLI_TRUST_WORKSPACE).toBe('false');
  });

  it('is supported where proven: claude and codex anywhere, gemini only without file access, agy nowhere', () => {
    expect(evidenceSupported('claude', 'read')).toBe(true);
    expect(evidenceSupported('gemini', 'none')).toBe(true);
    expect(evidenceSupported('gemini', 'read')).toBe(false);
    expect(evidenceSupported('codex', 'read')).toBe(true);
    expect(evidenceSupported('agy', 'none')).toBe(false);
  });
});
