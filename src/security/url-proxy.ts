/**
 * A loopback HTTP proxy that holds the evidence browser to the URL policy: every request and CONNECT tunnel the
 * browser makes (pages, subresources, redirects, websockets) is checked and connected to its pinned address.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pinnedLookup } from './url-fetch.js';
import type { UrlPolicy } from './url-policy.js';

export interface PolicyProxy {
  /** `http://127.0.0.1:<port>`, for the browser's --proxy-server. */
  readonly url: string;
  /** Requests refused so far (tests and logs). */
  refused(): number;
  close(): Promise<void>;
}

export interface ProxyLimits {
  /** A tunnel or request idle this long is closed. */
  readonly idleTimeoutMs: number;
}

/** Starts the proxy on 127.0.0.1 (a free port). */
export async function startPolicyProxy(policy: UrlPolicy, limits: ProxyLimits): Promise<PolicyProxy> {
  let refusedCount = 0;
  const sockets = new Set<Socket | Duplex>();
  const refuse = (res: ServerResponse, status = 403) => {
    refusedCount++;
    res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
    res.end('Blocked by the brutalist URL policy.\n');
  };

  const server = createServer((req, res) => {
    void forward(req, res).catch(() => refuse(res, 502));
  });

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let target: Awaited<ReturnType<UrlPolicy['check']>>;
    try {
      // A forward proxy gets the absolute URL; https never comes this way (it tunnels with CONNECT).
      target = await policy.check(req.url ?? '');
      if (target.url.protocol !== 'http:') throw new Error('not http');
    } catch {
      refuse(res);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const upstream = httpRequest(target.url, {
      method: req.method,
      headers,
      lookup: pinnedLookup(target.address, target.family),
      timeout: limits.idleTimeoutMs,
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('timeout', () => upstream.destroy());
    upstream.on('error', () => {
      if (!res.headersSent) refuse(res, 502);
      else res.destroy();
    });
    req.pipe(upstream);
  }

  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const [host, portText] = splitHostPort(req.url ?? '');
    const port = Number(portText);
    if (!host || !Number.isInteger(port) || port < 1 || port > 65_535) {
      refusedCount++;
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    policy.checkHost(host).then(
      ({ address }) => {
        const upstream = connect({ host: address, port }, () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          if (head.length > 0) upstream.write(head);
          upstream.pipe(client);
          client.pipe(upstream);
        });
        sockets.add(upstream);
        upstream.setTimeout(limits.idleTimeoutMs, () => upstream.destroy());
        upstream.on('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
      },
      () => {
        refusedCount++;
        client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      },
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    refused: () => refusedCount,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** "host:443" or "[::1]:443" → [host, port]. */
function splitHostPort(authority: string): [string, string] {
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(authority);
  if (v6) return [v6[1]!, v6[2]!];
  const i = authority.lastIndexOf(':');
  return i > 0 ? [authority.slice(0, i), authority.slice(i + 1)] : ['', ''];
}
