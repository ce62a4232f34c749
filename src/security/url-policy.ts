/**
 * The URL policy every outbound fetch obeys (citation re-checks, the evidence browser's proxy): http(s) only, no
 * credentials in the URL, and no private, loopback, link-local, cloud-metadata or otherwise non-public address
 * unless an allowlisted network holds it. Names are resolved once; every address must pass, and the caller
 * connects to the address that was checked (pinned), so a second DNS answer cannot rebind the host.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { BrutalistError } from '../errors/index.js';

/** Why an address is refused; `public` passes. */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'shared'
  | 'multicast'
  | 'reserved'
  | 'documentation';

type Family = 'ipv4' | 'ipv6';

/** Ranges by class; the first match wins, so metadata (inside link-local or ULA) is listed before them. */
const RANGES: ReadonlyArray<readonly [AddressClass, Family, string, number]> = [
  ['metadata', 'ipv4', '169.254.169.254', 32],
  ['metadata', 'ipv4', '100.100.100.200', 32], // Alibaba Cloud
  ['metadata', 'ipv6', 'fd00:ec2::254', 128], // AWS over IPv6
  ['unspecified', 'ipv4', '0.0.0.0', 8],
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['private', 'ipv4', '10.0.0.0', 8],
  ['private', 'ipv4', '172.16.0.0', 12],
  ['private', 'ipv4', '192.168.0.0', 16],
  ['shared', 'ipv4', '100.64.0.0', 10],
  ['link-local', 'ipv4', '169.254.0.0', 16],
  ['reserved', 'ipv4', '192.0.0.0', 24],
  ['documentation', 'ipv4', '192.0.2.0', 24],
  ['reserved', 'ipv4', '198.18.0.0', 15],
  ['documentation', 'ipv4', '198.51.100.0', 24],
  ['documentation', 'ipv4', '203.0.113.0', 24],
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['reserved', 'ipv4', '240.0.0.0', 4],
  ['unspecified', 'ipv6', '::', 128],
  ['loopback', 'ipv6', '::1', 128],
  ['reserved', 'ipv6', '::', 96], // IPv4-compatible (deprecated): ::127.0.0.1
  ['private', 'ipv6', 'fc00::', 7],
  ['link-local', 'ipv6', 'fe80::', 10],
  ['private', 'ipv6', 'fec0::', 10],
  ['multicast', 'ipv6', 'ff00::', 8],
  ['documentation', 'ipv6', '2001:db8::', 32],
  ['reserved', 'ipv6', '100::', 64],
  ['reserved', 'ipv6', '2001::', 23], // IETF protocol assignments (Teredo, ORCHID…)
];

const LISTS: ReadonlyArray<readonly [AddressClass, BlockList]> = (() => {
  const byClass = new Map<AddressClass, BlockList>();
  for (const [cls, family, net, prefix] of RANGES) {
    const list = byClass.get(cls) ?? new BlockList();
    list.addSubnet(net, prefix, family);
    byClass.set(cls, list);
  }
  return [...byClass.entries()];
})();

/** The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
function embeddedV4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const groups = expandV6(lower);
  if (!groups) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zero = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zero(0, 5) && groups[5] === 0xffff) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zero(2, 6)) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!);
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted quad folded in), or undefined. */
function expandV6(address: string): number[] | undefined {
  let text = address.split('%')[0]!;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const h = part(head);
  const t = part(tail);
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...new Array<number>(Math.max(0, fill)).fill(0), ...t];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : undefined;
}

/** The class of an IP address (an IPv6 one carrying an IPv4 address is judged by that address too). */
export function classifyAddress(address: string): AddressClass {
  const family = isIP(address);
  if (family === 0) return 'reserved';
  const type: Family = family === 4 ? 'ipv4' : 'ipv6';
  for (const [cls, list] of LISTS) if (list.check(address, type)) return cls;
  if (type === 'ipv6') {
    const v4 = embeddedV4(address);
    if (v4) return classifyAddress(v4);
  }
  return 'public';
}

/** What the policy needs from config: the networks that may be reached although not public. */
export interface UrlPolicyConfig {
  readonly urlAllowedNetworks: readonly string[];
}

/** A resolver: every address of a name (tests pass a fake to play DNS rebinding). */
export type Resolve = (hostname: string) => Promise<readonly string[]>;

export const systemResolve: Resolve = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** A URL that passed: its parsed form and the checked address to connect to. */
export interface CheckedUrl {
  readonly url: URL;
  /** The address the connection must use (pinned; never look the name up again). */
  readonly address: string;
  readonly family: 4 | 6;
}

function blocked(reason: string, data: Record<string, unknown> = {}): BrutalistError {
  return new BrutalistError('URL_BLOCKED', `URL refused by the URL policy: ${reason}.`, {
    data: { reason, policy: true, ...data },
  });
}

export class UrlPolicy {
  private readonly allowed = new BlockList();

  constructor(
    config: UrlPolicyConfig,
    private readonly resolve: Resolve = systemResolve,
  ) {
    for (const cidr of config.urlAllowedNetworks) {
      const [net, bits] = cidr.trim().split('/') as [string, string | undefined];
      const family = isIP(net);
      const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
      if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
        throw new BrutalistError(
          'CONFIG_INVALID',
          `urlAllowedNetworks must be a list of CIDR blocks, got ${JSON.stringify(cidr)}`,
          { data: { option: 'urlAllowedNetworks' } },
        );
      }
      this.allowed.addSubnet(net, prefix, family === 6 ? 'ipv6' : 'ipv4');
    }
  }

  /** Whether a connection to `address` is allowed: a public address, or one inside an allowlisted network. */
  allowsAddress(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    if (this.allowed.check(address, family === 6 ? 'ipv6' : 'ipv4')) return true;
    const v4 = family === 6 ? embeddedV4(address) : undefined;
    if (v4 && this.allowed.check(v4, 'ipv4')) return true;
    return classifyAddress(address) === 'public';
  }

  /** Checks a host (name or literal) and returns the pinned address; throws URL_BLOCKED. */
  async checkHost(host: string): Promise<{ address: string; family: 4 | 6 }> {
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    let addresses: readonly string[];
    if (isIP(bare) !== 0) addresses = [bare];
    else {
      try {
        addresses = await this.resolve(bare);
      } catch {
        throw blocked('the host name does not resolve');
      }
    }
    if (addresses.length === 0) throw blocked('the host name does not resolve');
    // Every address must pass: a name with one private answer could be steered to it by the resolver.
    for (const address of addresses) {
      if (!this.allowsAddress(address)) {
        throw blocked(`the host resolves to a ${classifyAddress(address)} address`, {
          addressClass: classifyAddress(address),
        });
      }
    }
    const address = addresses[0]!;
    return { address, family: isIP(address) === 6 ? 6 : 4 };
  }

  /** Checks a URL: http(s), no user:password, a host whose every address passes. Throws URL_BLOCKED. */
  async check(raw: string | URL): Promise<CheckedUrl> {
    let url: URL;
    try {
      url = typeof raw === 'string' ? new URL(raw) : raw;
    } catch {
      throw blocked('not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw blocked('only http(s) URLs');
    if (url.username || url.password) throw blocked('credentials in the URL');
    const pinned = await this.checkHost(url.hostname);
    return { url, ...pinned };
  }
}
