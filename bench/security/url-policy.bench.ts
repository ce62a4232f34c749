/**
 * Benchmark: what the URL policy costs a fetch. A loopback GET direct, through the policy fetch (check + pinned
 * connection) and through the browser's policy proxy, same server, same process; p50/p95 per request.
 */
import { createServer, type RequestOptions, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fetchUnderPolicy, startPolicyProxy, UrlPolicy } from '../../src/security/index.js';
import { summary } from '../stats.js';

const ROUNDS = 300;

function get(options: RequestOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await fn(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples;
}

export async function run(): Promise<Record<string, number>> {
  const server = createServer((_req, res) => res.end('x'.repeat(4096)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/page`;
  const policy = new UrlPolicy({ urlAllowedNetworks: ['127.0.0.0/8'] });
  const proxy = await startPolicyProxy(policy, { idleTimeoutMs: 10_000 });
  const proxyPort = Number(new URL(proxy.url).port);
  const limits = { urlFetchTimeoutMs: 10_000, urlFetchMaxBytes: 1 << 20, urlFetchMaxRedirects: 0 };
  try {
    const direct = summary(await timed(() => get({ host: '127.0.0.1', port, path: '/page' })));
    const checked = summary(await timed(() => fetchUnderPolicy(url, policy, limits)));
    const proxied = summary(await timed(() => get({ host: '127.0.0.1', port: proxyPort, path: url })));
    const checkOnly = summary(await timed(() => policy.check(url)));
    const round = (n: number) => Math.round(n * 1000) / 1000;
    const result = {
      directP50Ms: round(direct.p50),
      policyFetchP50Ms: round(checked.p50),
      proxyP50Ms: round(proxied.p50),
      checkP50Ms: round(checkOnly.p50),
      directP95Ms: round(direct.p95),
      policyFetchP95Ms: round(checked.p95),
      proxyP95Ms: round(proxied.p95),
      proxyOverDirect: round(proxied.p50 / direct.p50),
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await proxy.close();
    server.close();
  }
}

if (import.meta.url === pathToFileURL(path.resolve(process.argv[1] ?? '')).href) await run();
