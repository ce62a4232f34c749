import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import {
  BASE_ENV_ALLOWLIST,
  buildChildEnv,
  RECURSION_ENV,
  TRACEPARENT_ENV,
} from '../../src/process/index.js';

const parent = {
  PATH: '/usr/bin',
  HOME: '/home/u',
  LANG: 'C.UTF-8',
  https_proxy: 'http://proxy:3128',
  HTTPS_PROXY: 'http://PROXY:3128',
  XDG_CONFIG_HOME: '/home/u/.config',
  SHELL: '/bin/zsh',
  AWS_SECRET_ACCESS_KEY: 'aws',
  ANTHROPIC_API_KEY: 'ant',
  ANTHROPIC_BASE_URL: 'https://a',
  OPENAI_API_KEY: 'oai',
  BRUTALIST_AUTH_TOKEN: 'server-secret',
  BRUTALIST_API_KEY: 'server-key',
  TERM: 'xterm-256color',
  UNSET: undefined,
};

describe('buildChildEnv', () => {
  it('copies only the base allowlist from the parent by default', () => {
    const env = buildChildEnv(parent, {});
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/u',
      LANG: 'C.UTF-8',
      https_proxy: 'http://proxy:3128',
      HTTPS_PROXY: 'http://PROXY:3128',
      XDG_CONFIG_HOME: '/home/u/.config',
      TERM: 'dumb',
      NO_COLOR: '1',
      [RECURSION_ENV]: '1',
    });
  });

  it('copies exactly the names of the base allowlist, each of them (a new name is a security decision)', () => {
    expect(BASE_ENV_ALLOWLIST).toEqual([
      'PATH',
      'HOME',
      'USER',
      'LOGNAME',
      'LANG',
      'LC_ALL',
      'LC_CTYPE',
      'TMPDIR',
      'TZ',
      'HTTPS_PROXY',
      'HTTP_PROXY',
      'NO_PROXY',
      'https_proxy',
      'http_proxy',
      'no_proxy',
      'SSL_CERT_FILE',
      'SSL_CERT_DIR',
      'NODE_EXTRA_CA_CERTS',
      'XDG_CONFIG_HOME',
      'XDG_CACHE_HOME',
      'XDG_DATA_HOME',
      'XDG_STATE_HOME',
    ]);
    const everything = Object.fromEntries(BASE_ENV_ALLOWLIST.map((name) => [name, `v-${name}`]));
    const env = buildChildEnv({ ...everything, PATH: '/bin' }, {});
    for (const name of BASE_ENV_ALLOWLIST) expect(env[name]).toBe(name === 'PATH' ? '/bin' : `v-${name}`);
  });

  it('leaves PATH out when the parent has none, and keeps only its absolute entries', () => {
    expect(buildChildEnv({ HOME: '/h' }, {})).not.toHaveProperty('PATH');
    expect(buildChildEnv({ PATH: 'bin:/usr/bin::.:/bin' }, {}).PATH).toBe('/usr/bin:/bin');
  });

  it('matches an exact allow name exactly, not as a prefix of longer or shorter names', () => {
    const env = buildChildEnv({ MY_VAR: '1', MY_VA: '2', MY_VARIANT: '3' }, { allow: ['MY_VAR'] });
    expect(env.MY_VAR).toBe('1');
    expect(env).not.toHaveProperty('MY_VA');
    expect(env).not.toHaveProperty('MY_VARIANT');
  });

  it('does not pass SHELL, which the allowlist leaves out on purpose', () => {
    expect(BASE_ENV_ALLOWLIST).not.toContain('SHELL');
    expect(buildChildEnv(parent, {})).not.toHaveProperty('SHELL');
  });

  it('adds exact allow names and prefix entries ending in *', () => {
    const env = buildChildEnv(parent, { allow: ['OPENAI_API_KEY', 'ANTHROPIC_*'] });
    expect(env.OPENAI_API_KEY).toBe('oai');
    expect(env.ANTHROPIC_API_KEY).toBe('ant');
    expect(env.ANTHROPIC_BASE_URL).toBe('https://a');
    expect(env).not.toHaveProperty('AWS_SECRET_ACCESS_KEY');
  });

  it('never copies BRUTALIST_* variables, even when an allow entry matches them', () => {
    const env = buildChildEnv(parent, { allow: ['BRUTALIST_*', 'BRUTALIST_AUTH_TOKEN', 'BRU*'] });
    expect(Object.keys(env).filter((k) => k.startsWith('BRUTALIST_'))).toEqual([RECURSION_ENV]);
  });

  it('skips variables whose value is undefined', () => {
    expect(buildChildEnv(parent, { allow: ['UNSET'] })).not.toHaveProperty('UNSET');
  });

  it('forces TERM=dumb and NO_COLOR=1 over the parent values', () => {
    const env = buildChildEnv({ ...parent, NO_COLOR: '0' }, { allow: ['TERM', 'NO_COLOR'] });
    expect(env.TERM).toBe('dumb');
    expect(env.NO_COLOR).toBe('1');
  });

  it('increments the recursion guard from the parent value', () => {
    expect(buildChildEnv({}, {})[RECURSION_ENV]).toBe('1');
    expect(buildChildEnv({ [RECURSION_ENV]: '0' }, {})[RECURSION_ENV]).toBe('1');
    expect(buildChildEnv({ [RECURSION_ENV]: '2' }, {})[RECURSION_ENV]).toBe('3');
  });

  it('treats an unparsable recursion guard as 0', () => {
    for (const raw of ['', 'abc', '-3', '1.5']) {
      expect(buildChildEnv({ [RECURSION_ENV]: raw }, {})[RECURSION_ENV]).toBe('1');
    }
  });

  it('clamps a huge recursion guard instead of resetting or overflowing it', () => {
    expect(buildChildEnv({ [RECURSION_ENV]: '99999999999999999999999' }, {})[RECURSION_ENV]).toBe('1000001');
  });

  it('applies set last, overriding copied and forced values', () => {
    const env = buildChildEnv(parent, { set: { PATH: '/opt/bin', TERM: 'vt100', CLAUDE_FLAG: 'x' } });
    expect(env.PATH).toBe('/opt/bin');
    expect(env.TERM).toBe('vt100');
    expect(env.CLAUDE_FLAG).toBe('x');
  });

  it('does not let set override the recursion guard', () => {
    const env = buildChildEnv({ [RECURSION_ENV]: '4' }, { set: { [RECURSION_ENV]: '0' } });
    expect(env[RECURSION_ENV]).toBe('5');
  });

  it('rejects a bare * and malformed allow entries with INVALID_ARGUMENT', () => {
    for (const bad of ['*', '', 'A*B', '1ABC', 'A B', 'A=B']) {
      let caught: unknown;
      try {
        buildChildEnv(parent, { allow: [bad] });
      } catch (err) {
        caught = err;
      }
      expect(isBrutalistError(caught) && caught.code).toBe('INVALID_ARGUMENT');
      expect(isBrutalistError(caught) && caught.data).toEqual({ option: 'allow' });
      expect((caught as Error).message).toBe(
        'env allow entries must be variable names or name prefixes ending in "*" (a bare "*" is refused)',
      );
      expect(String((caught as Error).message)).not.toContain('server-secret');
    }
  });

  it('does not modify the parent env', () => {
    const copy = { ...parent };
    buildChildEnv(copy, { allow: ['ANTHROPIC_*'], set: { X: 'y' } });
    expect(copy).toEqual(parent);
  });
});

describe('buildChildEnv and TRACEPARENT', () => {
  const OURS = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const PARENTS = '00-11111111111111111111111111111111-2222222222222222-01';

  it('sets exactly the given traceparent', () => {
    expect(buildChildEnv({}, { traceparent: OURS })[TRACEPARENT_ENV]).toBe(OURS);
  });

  it("never passes on the server's own TRACEPARENT or TRACESTATE, even when an allow prefix covers them", () => {
    const env = buildChildEnv({ TRACEPARENT: PARENTS, TRACESTATE: 'vendor=1' }, { allow: ['TRACE*'] });
    expect(env).not.toHaveProperty(TRACEPARENT_ENV);
    expect(env.TRACESTATE).toBe('vendor=1');
  });

  it('lets no adapter-set value override the trace context', () => {
    const env = buildChildEnv({}, { set: { TRACEPARENT: PARENTS }, traceparent: OURS });
    expect(env[TRACEPARENT_ENV]).toBe(OURS);
    expect(buildChildEnv({}, { set: { TRACEPARENT: PARENTS } })).not.toHaveProperty(TRACEPARENT_ENV);
  });
});
