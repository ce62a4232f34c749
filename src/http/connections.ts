/**
 * Open TCP connections per client address, capped: one more than httpMaxConnectionsPerIp from one address is
 * closed as it arrives, so a flood from one host cannot take every socket the service can hold.
 */
import type { Socket } from 'node:net';

export interface ConnectionCapOptions {
  /** Connections one key may hold (0: no cap). */
  readonly maxPerKey: number;
  /** The budget key of an address (IPv6 by prefix, like the IP rate limit). */
  readonly keyOf: (address: string) => string;
  /** Addresses never capped (trusted reverse proxies carry many clients). */
  readonly exempt: (address: string) => boolean;
  /** Called for each connection closed by the cap (the audit tally). */
  readonly onRefused?: (address: string, key: string) => void;
  /** Called for each connection counted in. */
  readonly onAdmitted?: (key: string) => void;
}

export class ConnectionCap {
  private readonly open = new Map<string, number>();
  private refusedCount = 0;

  constructor(private readonly options: ConnectionCapOptions) {}

  /** Counts `socket` in, or destroys it when its address is at the cap; returns whether it was admitted. */
  admit(socket: Socket): boolean {
    const { maxPerKey, keyOf, exempt } = this.options;
    const address = socket.remoteAddress ?? '';
    if (maxPerKey === 0 || exempt(address)) return true;
    const key = keyOf(address);
    const held = this.open.get(key) ?? 0;
    if (held >= maxPerKey) {
      this.refusedCount++;
      socket.destroy();
      this.options.onRefused?.(address, key);
      return false;
    }
    this.open.set(key, held + 1);
    this.options.onAdmitted?.(key);
    socket.once('close', () => {
      const now = (this.open.get(key) ?? 1) - 1;
      if (now <= 0) this.open.delete(key);
      else this.open.set(key, now);
    });
    return true;
  }

  /** Connections refused so far, and addresses holding connections now. */
  stats(): { refused: number; addresses: number } {
    return { refused: this.refusedCount, addresses: this.open.size };
  }
}
