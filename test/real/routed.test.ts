// Routed critics with the REAL claude CLI (ADR 0048): two stub gateways and the native critic's own stub. Each
// routed critic's requests reach only its gateway with only its token; the native critic still reaches its own.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  callTool,
  connectRealServer,
  errorOf,
  INSTALL_TIMEOUT_MS,
  makeRealSandbox,
  REAL_TEST_TIMEOUT_MS,
  type RealSandbox,
  type RealServer,
  realServerEnv,
  requireRealClis,
  STUB_KEYS,
  structuredOf,
  textOf,
} from '../support/real-clis.js';
import { type RecordedRequest, StubModelServer } from '../support/stub-model/index.js';

vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

const GLM_TOKEN = `glm-token-${process.pid}`;
const KIMI_TOKEN = `kimi-token-${process.pid}`;

let native: StubModelServer;
let gatewayA: StubModelServer;
let gatewayB: StubModelServer;
let sandbox: RealSandbox;
let server: RealServer;

beforeAll(async () => {
  const bins = await requireRealClis();
  [native, gatewayA, gatewayB] = await Promise.all([
    StubModelServer.start(),
    StubModelServer.start(),
    StubModelServer.start(),
  ]);
  sandbox = makeRealSandbox('brutalist-real-routed-');
  const kimi = {
    id: 'kimi',
    provider: 'claude',
    baseUrl: gatewayB.url,
    authTokenEnv: 'KIMI_TOKEN',
    model: 'kimi-k2',
    smallFastModel: 'kimi-k2-mini',
  };
  server = await connectRealServer(
    realServerEnv(sandbox, bins, native, {
      GLM_TOKEN,
      KIMI_TOKEN,
      BRUTALIST_ROUTED_TOKEN_ENVS: 'GLM_TOKEN,KIMI_TOKEN',
      BRUTALIST_ROUTED_CLIENTS: JSON.stringify([kimi]),
      // The operator's own OAuth token: must reach no gateway.
      CLAUDE_CODE_OAUTH_TOKEN: `operator-oauth-${process.pid}`,
    }),
    sandbox.project,
  );
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await server?.close();
  await Promise.all([native?.close(), gatewayA?.close(), gatewayB?.close()]);
  sandbox?.cleanup();
});

/** Every credential-looking header value of a request, as one string. */
const credentials = (r: RecordedRequest) =>
  JSON.stringify([r.headers.authorization, r.headers['x-api-key'], r.headers.cookie]);

describe('routed critics with the real claude CLI', () => {
  it('lists the config-file client in the roster as a critic of its own', async () => {
    const result = await callTool(server.client, 'cli_agent_roster', {});
    const { critics } = result.structuredContent as {
      critics: Array<{
        critic: string;
        available: boolean;
        defaultModel: string | null;
        note: string | null;
      }>;
    };
    const kimi = critics.find((c) => c.critic === 'kimi');
    expect(kimi).toMatchObject({ available: true, defaultModel: 'kimi-k2' });
    expect(kimi?.note).toContain(new URL(gatewayB.url).origin);
  });

  it('sends each routed critic only to its gateway with only its token, and the native one to its own endpoint', async () => {
    const mark = `MARK-routed-${process.pid}`;
    native.when(mark, { text: `Native verdict ${mark}: the moat is imaginary.` });
    gatewayA.when(mark, {
      text: `GLM verdict ${mark}: the unit economics fail at 10k users.\nSecond line of the routed critique.`,
    });
    gatewayB.when(mark, { text: `Kimi verdict ${mark}: nobody switches for a 5% gain.` });
    const result = await callTool(server.client, 'roast', {
      domain: 'idea',
      context: `A marketplace for used lab equipment. ${mark}`,
      clis: ['claude', 'kimi'],
      clients: [
        {
          id: 'glm',
          provider: 'claude',
          baseUrl: gatewayA.url,
          authTokenEnv: 'GLM_TOKEN',
          model: 'glm-4.6',
          configDir: '/nonexistent/should-be-ignored',
        },
      ],
      models: { glm: 'glm-4.6' },
    });
    expect(errorOf(result)).toBeUndefined();
    const text = textOf(result);
    expect(text).toContain(`Native verdict ${mark}`);
    expect(text).toContain(`GLM verdict ${mark}`);
    expect(text).toContain(`Kimi verdict ${mark}`);
    const s = structuredOf(result);
    expect(s.critics.map((c) => [c.critic, c.ok])).toEqual([
      ['claude', true],
      ['kimi', true],
      ['glm', true],
    ]);
    if (process.env.ROUTED_CRITIQUE_OUT) writeFileSync(process.env.ROUTED_CRITIQUE_OUT, text);

    const asked = (stub: StubModelServer) => stub.requests.filter((r) => r.api === 'anthropic' && r.body);
    // gateway A: glm's token (Bearer), glm's model only; nothing of the operator's, nothing of kimi's.
    const a = asked(gatewayA);
    expect(a.length).toBeGreaterThan(0);
    for (const r of a) {
      expect(credentials(r)).toContain(GLM_TOKEN);
      expect(credentials(r)).not.toContain(KIMI_TOKEN);
      expect(credentials(r)).not.toContain(STUB_KEYS.ANTHROPIC_API_KEY);
      expect(credentials(r)).not.toContain('operator-oauth');
      expect(r.model).toBe('glm-4.6');
    }
    // gateway B: kimi's token and models (the small one only when claude asks for it).
    const b = asked(gatewayB);
    expect(b.length).toBeGreaterThan(0);
    for (const r of b) {
      expect(credentials(r)).toContain(KIMI_TOKEN);
      expect(credentials(r)).not.toContain(GLM_TOKEN);
      expect(credentials(r)).not.toContain(STUB_KEYS.ANTHROPIC_API_KEY);
      expect(['kimi-k2', 'kimi-k2-mini']).toContain(r.model);
    }
    // The native critic: its own endpoint and key, no gateway token.
    const n = native.requestsWith(mark);
    expect(n.length).toBeGreaterThan(0);
    for (const r of native.requests) {
      expect(credentials(r)).not.toContain(GLM_TOKEN);
      expect(credentials(r)).not.toContain(KIMI_TOKEN);
    }
    expect(credentials(n[0]!)).toContain(STUB_KEYS.ANTHROPIC_API_KEY);
    // No routed prompt went to the native endpoint, and no native prompt to a gateway.
    expect(native.requests.filter((r) => r.promptText.includes(mark))).toHaveLength(n.length);
    expect(gatewayA.requestsWith(mark).length).toBe(a.filter((r) => r.promptText.includes(mark)).length);
  });

  it('refuses a client naming a token variable the operator did not allow, before any request', async () => {
    const before = gatewayA.requests.length + native.requests.length;
    const result = await callTool(server.client, 'roast', {
      domain: 'idea',
      context: 'Anything.',
      clis: [],
      clients: [
        {
          id: 'evil',
          provider: 'claude',
          baseUrl: gatewayA.url,
          authTokenEnv: 'ANTHROPIC_API_KEY',
          model: 'x',
        },
      ],
    });
    expect(errorOf(result)?.code).toBe('ROUTED_TOKEN_ENV_REFUSED');
    expect(JSON.stringify(result)).not.toContain(STUB_KEYS.ANTHROPIC_API_KEY);
    expect(gatewayA.requests.length + native.requests.length).toBe(before);
  });

  it('lets a routed critic debate a native one, addressed by its id in agents', async () => {
    const mark = `MARK-debate-${process.pid}`;
    native.when(mark, { text: `Native side ${mark}.` });
    gatewayB.when(mark, { text: `Kimi side ${mark}.` });
    const result = await callTool(server.client, 'roast_cli_debate', {
      topic: `Monorepo or polyrepo ${mark}`,
      proPosition: 'Monorepo',
      conPosition: 'Polyrepo',
      agents: ['claude', 'kimi'],
    });
    expect(errorOf(result)).toBeUndefined();
    expect(textOf(result)).toContain(`Kimi side ${mark}`);
    expect(textOf(result)).toContain(`Native side ${mark}`);
  });
});
