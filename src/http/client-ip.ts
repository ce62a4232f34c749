/**
 * Which address a request comes from: the socket's peer, or, when the peer is a trusted reverse proxy
 * (BRUTALIST_TRUST_PROXY), the address its `X-Forwarded-For` names, read from the right past further trusted proxies.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { BrutalistError } from '../errors/index.js';

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** `::ffff:1.2.3.4` as `1.2.3.4`; any other address as it is. */
function plain(address: string): string {
  const mapped = IPV4_MAPPED.exec(address);
  return mapped?.[1] !== undefined && isIP(mapped[1]) === 4 ? mapped[1] : address;
}

export class ProxyTrust {
  private readonly trusted = new BlockList();
  private readonly empty: boolean;

  /** `entries`: addresses and CIDRs; a bad one is CONFIG_INVALID naming the option (at start, never per request). */
  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) this.add(entry.trim());
  }

  private add(entry: string): void {
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 4 ? 32 : 128;
    const validPrefix = prefix === undefined || (Number.isInteger(prefix) && prefix >= 0 && prefix <= max);
    if (family === 0 || extra !== undefined || !validPrefix || bits === '') {
      throw new BrutalistError(
        'CONFIG_INVALID',
        `trustProxy must list IP addresses or CIDRs, got ${JSON.stringify(entry.slice(0, 64))}.`,
        { data: { option: 'trustProxy' } },
      );
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) this.trusted.addAddress(address, type);
    else this.trusted.addSubnet(address, prefix, type);
  }

  /** Whether `address` is one of the trusted proxies. */
  trusts(address: string): boolean {
    if (this.empty) return false;
    const ip = plain(address);
    const family = isIP(ip);
    return family !== 0 && this.trusted.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client of `req`: the peer unless it is trusted; then the rightmost X-Forwarded-For address that is not a
   * trusted proxy (the proxy appended what it saw). An entry that is not an address stops the walk at the last
   * proxy passed, so a client cannot pick its own budget by writing text into the header.
   */
  clientOf(req: IncomingMessage): string {
    const peer = req.socket.remoteAddress ?? '';
    if (!this.trusts(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = plain((hops[i] ?? '').trim());
      if (isIP(hop) === 0) return client;
      client = hop;
      if (!this.trusts(hop)) return hop;
    }
    return client;
  }
}
