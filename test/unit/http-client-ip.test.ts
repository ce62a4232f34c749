// ProxyTrust: which address a request comes from when reverse proxies are trusted (BRUTALIST_TRUST_PROXY).
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { ProxyTrust } from '../../src/http/client-ip.js';

function request(peer: string, forwarded?: string | string[]): IncomingMessage {
  return {
    socket: { remoteAddress: peer },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  } as unknown as IncomingMessage; // only the two fields clientOf reads
}

describe('ProxyTrust', () => {
  it('uses the peer when nothing is trusted, whatever X-Forwarded-For says', () => {
    expect(new ProxyTrust([]).clientOf(request('198.51.100.7', '203.0.113.1'))).toBe('198.51.100.7');
  });

  it('uses the peer when the peer is not a trusted proxy', () => {
    const trust = new ProxyTrust(['10.0.0.0/8']);
    expect(trust.clientOf(request('198.51.100.7', '203.0.113.1'))).toBe('198.51.100.7');
  });

  it('walks X-Forwarded-For from the right past trusted proxies to the first untrusted address', () => {
    const trust = new ProxyTrust(['10.0.0.0/8', '::1']);
    const req = request('::ffff:10.0.0.2', '6.6.6.6, 203.0.113.1, 10.1.2.3');
    expect(trust.clientOf(req)).toBe('203.0.113.1');
    expect(trust.clientOf(request('::1', ['203.0.113.9', '10.0.0.5']))).toBe('203.0.113.9');
  });

  it('stops at the last proxy passed when an entry is not an address', () => {
    const trust = new ProxyTrust(['10.0.0.1']);
    expect(trust.clientOf(request('10.0.0.1', 'any-text-I-like'))).toBe('10.0.0.1');
    expect(trust.clientOf(request('10.0.0.1', ''))).toBe('10.0.0.1');
    expect(trust.clientOf(request('10.0.0.1'))).toBe('10.0.0.1');
  });

  it('takes the leftmost address when every hop is trusted', () => {
    const trust = new ProxyTrust(['10.0.0.0/8']);
    expect(trust.clientOf(request('10.0.0.1', '10.9.9.9, 10.0.0.3'))).toBe('10.9.9.9');
  });

  it.each(['10.0.0.0/33', 'proxy.example.com', '10.0.0.0/', '1.2.3.4/8/9', '::1/129'])(
    'refuses %j at start with CONFIG_INVALID naming trustProxy',
    (entry) => {
      try {
        new ProxyTrust([entry]);
        expect.unreachable();
      } catch (err) {
        expect(isBrutalistError(err) && err.code).toBe('CONFIG_INVALID');
        expect(isBrutalistError(err) && err.data.option).toBe('trustProxy');
      }
    },
  );
});
