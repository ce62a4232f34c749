import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  classifyAddress,
  fetchUnderPolicy,
  type Resolve,
  startPolicyProxy,
  UrlPolicy,
} from '../../src/security/index.js';

const CLASSES: ReadonlyArray<readonly [string, string]> = [
  ['8.8.8.8', 'public'],
  ['2606:4700::1111', 'public'],
  ['0.0.0.0', 'unspecified'],
  ['127.0.0.1', 'loopback'],
  ['127.255.1.2', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'shared'],
  ['169.254.1.1', 'link-local'],
  ['169.254.169.254', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  ['192.0.2.5', 'documentation'],
  ['224.0.0.1', 'multicast'],
  ['255.255.255.255', 'reserved'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['fc00::1', 'private'],
  ['fd12:3456::1', 'private'],
  ['fe80::1', 'link-local'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'documentation'],
  // IPv6 forms that carry an IPv4 address are judged by it.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['64:ff9b::a00:1', 'private'],
  ['2002:c0a8:0101::1', 'private'],
  ['::127.0.0.1', 'reserved'],
  ['not-an-ip', 'reserved'],
];

const fixed =
  (answers: Record<string, readonly string[]>): Resolve =>
  async (host) => {
    const found = answers[host];
    if (!found) throw new Error('ENOTFOUND');
    return found;
  };

async function refusal(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    if (isBrutalistError(err) && err.code === 'URL_BLOCKED') return err.data;
    throw err;
  }
  throw new Error('expected URL_BLOCKED');
}

describe('classifyAddress', () => {
  it.each(CLASSES)('classifies %s as %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });
});

describe('UrlPolicy.check', () => {
  const policy = new UrlPolicy(
    { urlAllowedNetworks: [] },
    fixed({
      'public.example': ['93.184.216.34'],
      'internal.example': ['10.0.0.7'],
      'mixed.example': ['93.184.216.34', '127.0.0.1'],
      'meta.example': ['169.254.169.254'],
      'v6.example': ['::1'],
    }),
  );

  it('passes a public https URL and pins the address it checked', async () => {
    const checked = await policy.check('https://public.example/page');
    expect(checked.address).toBe('93.184.216.34');
    expect(checked.family).toBe(4);
  });

  it.each([
    ['file:///etc/passwd', 'only http(s) URLs'],
    ['ftp://public.example/', 'only http(s) URLs'],
    ['javascript:alert(1)', 'only http(s) URLs'],
    ['https://user:pw@public.example/', 'credentials in the URL'],
    ['not a url', 'not a URL'],
    ['http://nowhere.example/', 'the host name does not resolve'],
  ])('refuses %s (%s)', async (url, reason) => {
    expect((await refusal(policy.check(url))).reason).toBe(reason);
  });

  it.each([
    ['http://127.0.0.1:8080/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://meta.example/', 'metadata'],
    ['http://internal.example/', 'private'],
    ['http://v6.example/', 'loopback'],
    ['http://0.0.0.0/', 'unspecified'],
  ])('refuses %s as a %s address', async (url, cls) => {
    expect((await refusal(policy.check(url))).addressClass).toBe(cls);
  });

  it('refuses a name when any one of its addresses is private (a rebinding answer set)', async () => {
    expect((await refusal(policy.check('http://mixed.example/'))).addressClass).toBe('loopback');
  });

  it('lets an allowlisted network through, and only that network', async () => {
    const loopback = new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8', '::1/128'] }, fixed({}));
    expect((await loopback.check('http://127.0.0.1:9/')).address).toBe('127.0.0.1');
    expect((await loopback.check('http://[::1]:9/')).address).toBe('::1');
    expect((await refusal(loopback.check('http://10.0.0.1/'))).addressClass).toBe('private');
    expect((await refusal(loopback.check('http://169.254.169.254/'))).addressClass).toBe('metadata');
  });

  it('reads an allowlist entry without a prefix as one address, and lets IPv6 forms of an allowed IPv4 through', () => {
    const one = new UrlPolicy({ urlAllowedNetworks: ['127.0.0.1', '::1'] }, fixed({}));
    expect(one.allowsAddress('127.0.0.1')).toBe(true);
    expect(one.allowsAddress('127.0.0.2')).toBe(false);
    expect(one.allowsAddress('::1')).toBe(true);
    expect(one.allowsAddress('::ffff:127.0.0.1')).toBe(true);
    expect(one.allowsAddress('::ffff:7f00:2')).toBe(false);
    expect(one.allowsAddress('not-an-ip')).toBe(false);
  });

  it('refuses a name that resolves to no address at all', async () => {
    const empty = new UrlPolicy({ urlAllowedNetworks: [] }, async () => []);
    expect((await refusal(empty.check('http://empty.example/'))).reason).toBe(
      'the host name does not resolve',
    );
  });

  it('rejects an allowlist entry that is not a CIDR block, naming the option', () => {
    expect(() => new UrlPolicy({ urlAllowedNetworks: ['localhost'] })).toThrow(/urlAllowedNetworks/);
    expect(() => new UrlPolicy({ urlAllowedNetworks: ['10.0.0.0/40'] })).toThrow(/urlAllowedNetworks/);
  });
});

describe('fetchUnderPolicy', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<number> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }
  const limits = { urlFetchTimeoutMs: 5_000, urlFetchMaxBytes: 1_000, urlFetchMaxRedirects: 2 };

  it('connects to the pinned address, not to what the name resolves to next (DNS rebinding)', async () => {
    const port = await serve((_req, res) => res.end('pinned page'));
    let lookups = 0;
    // First answer loopback (allowlisted), then a private address: a rebinding resolver.
    const rebinding: Resolve = async () => (lookups++ === 0 ? ['127.0.0.1'] : ['10.9.9.9']);
    const policy = new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8'] }, rebinding);
    const page = await fetchUnderPolicy(`http://rebind.example:${port}/`, policy, limits);
    expect(page.body).toBe('pinned page');
    expect(lookups).toBe(1);
  });

  it('checks every redirect target again and refuses one into a blocked network', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    });
    const policy = new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8'] }, fixed({}));
    const data = await refusal(fetchUnderPolicy(`http://127.0.0.1:${port}/`, policy, limits));
    expect(data.addressClass).toBe('metadata');
  });

  it('cuts the body at urlFetchMaxBytes', async () => {
    const port = await serve((_req, res) => res.end('x'.repeat(5_000)));
    const policy = new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8'] }, fixed({}));
    const page = await fetchUnderPolicy(`http://127.0.0.1:${port}/`, policy, limits);
    expect(page.body.length).toBe(1_000);
    expect(page.truncated).toBe(true);
  });

  it('follows at most urlFetchMaxRedirects redirects', async () => {
    let hits = 0;
    const port = await serve((_req, res) => {
      hits++;
      res.writeHead(302, { location: '/again' });
      res.end();
    });
    const policy = new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8'] }, fixed({}));
    const data = await refusal(fetchUnderPolicy(`http://127.0.0.1:${port}/`, policy, limits));
    expect(data.reason).toBe('too many redirects');
    expect(hits).toBe(3);
  });

  it('answers a page without a content type with an empty one, after a redirect within the bound', async () => {
    const port = await serve((req, res) => {
      if (req.url === '/') {
        res.writeHead(301, { location: '/final' });
        res.end();
        return;
      }
      res.removeHeader('content-type');
      res.end('final');
    });
    const policy = new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8'] }, fixed({}));
    const page = await fetchUnderPolicy(`http://127.0.0.1:${port}/`, policy, limits);
    expect(page).toMatchObject({
      url: `http://127.0.0.1:${port}/final`,
      status: 200,
      contentType: '',
      body: 'final',
    });
  });

  it('refuses with "the connection failed" when nothing listens at the checked address', async () => {
    const port = await serve(() => {});
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const policy = new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8'] }, fixed({}));
    expect((await refusal(fetchUnderPolicy(`http://127.0.0.1:${port}/`, policy, limits))).reason).toBe(
      'the connection failed',
    );
  });

  it('gives up at its deadline on the injected clock', async () => {
    const port = await serve(() => {}); // never answers
    const clock = new ManualClock();
    const policy = new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8'] }, fixed({}));
    const pending = refusal(fetchUnderPolicy(`http://127.0.0.1:${port}/`, policy, limits, clock));
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(5_000);
    expect((await pending).reason).toBe('timed out');
  });
});

describe('startPolicyProxy', () => {
  it('forwards to an allowed host and refuses a blocked one', async () => {
    const target = createServer((_req, res) => res.end('through the proxy'));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const port = (target.address() as AddressInfo).port;
    const proxy = await startPolicyProxy(new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8'] }, fixed({})), {
      idleTimeoutMs: 5_000,
    });
    const viaProxy = async (url: string) => {
      return new Promise<{ status: number; body: string }>((resolve, reject) => {
        const p = new URL(proxy.url);
        const req = request({ host: p.hostname, port: p.port, path: url, method: 'GET' }, (answer) => {
          let body = '';
          answer.on('data', (c) => (body += c));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    };
    try {
      expect(await viaProxy(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, body: 'through the proxy' });
      const before = proxy.refused();
      expect((await viaProxy('http://169.254.169.254/latest/meta-data/')).status).toBe(403);
      expect(proxy.refused()).toBe(before + 1);
      // A CONNECT tunnel (how https goes) is held to the same policy.
      expect(await tunnel(proxy.url, '169.254.169.254:443')).toMatch(/^HTTP\/1.1 403/);
      expect(await tunnel(proxy.url, `127.0.0.1:${port}`)).toMatch(/^HTTP\/1.1 200/);
    } finally {
      await proxy.close();
      await new Promise<void>((resolve) => target.close(() => resolve()));
    }
  });
});

describe('startPolicyProxy refusals', () => {
  const get = (proxyUrl: string, url: string) =>
    new Promise<number>((resolve, reject) => {
      const p = new URL(proxyUrl);
      const req = request({ host: p.hostname, port: p.port, path: url, method: 'GET' }, (answer) => {
        answer.resume();
        answer.on('end', () => resolve(answer.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });

  /** A loopback port nothing listens on (bound, then released). */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  it('answers 400 to a CONNECT whose authority has no valid port, counting it refused', async () => {
    const proxy = await startPolicyProxy(new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8'] }, fixed({})), {
      idleTimeoutMs: 5_000,
    });
    try {
      const lines: string[] = [];
      for (const authority of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '[::1]:x']) {
        lines.push(await tunnel(proxy.url, authority));
      }
      expect(lines).toEqual(Array(4).fill('HTTP/1.1 400'));
      expect(proxy.refused()).toBe(4);
    } finally {
      await proxy.close();
    }
  });

  it('holds a bracketed IPv6 CONNECT authority to the policy like any other host', async () => {
    const proxy = await startPolicyProxy(new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8'] }, fixed({})), {
      idleTimeoutMs: 5_000,
    });
    try {
      expect(await tunnel(proxy.url, '[::1]:443')).toBe('HTTP/1.1 403');
    } finally {
      await proxy.close();
    }
  });

  it('refuses a plain request for an https URL (https only tunnels) and answers 502 when the upstream is down', async () => {
    const proxy = await startPolicyProxy(new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8'] }, fixed({})), {
      idleTimeoutMs: 5_000,
    });
    try {
      expect(await get(proxy.url, 'https://127.0.0.1/')).toBe(403);
      expect(await get(proxy.url, `http://127.0.0.1:${await closedPort()}/`)).toBe(502);
      expect(proxy.refused()).toBe(2);
    } finally {
      await proxy.close();
    }
  });
});

/** The proxy's first status line for a CONNECT to `authority`. */
function tunnel(proxyUrl: string, authority: string): Promise<string> {
  const p = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: p.hostname, port: p.port, method: 'CONNECT', path: authority });
    req.on('connect', (answer, socket) => {
      socket.destroy();
      resolve(`HTTP/1.1 ${answer.statusCode}`);
    });
    req.on('error', reject);
    req.end();
  });
}
