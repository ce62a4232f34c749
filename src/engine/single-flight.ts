/**
 * Single-flight: identical concurrent requests share one run; it is cancelled only when every sharer cancels.
 * Each flight owns the fan-out of its events, so the listeners live exactly as long as the flight.
 */
import { BrutalistError } from '../errors/index.js';
import { bindToContext } from '../infra/index.js';

interface Flight<T, E> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  readonly listeners: Set<(event: E) => void>;
  waiters: number;
}

export class SingleFlight<T, E = never> {
  private readonly flights = new Map<string, Flight<T, E>>();

  /** Number of distinct runs in flight. */
  get size(): number {
    return this.flights.size;
  }

  /** Whether a call for `key` now would join a run in flight rather than start one. */
  has(key: string): boolean {
    return this.flights.has(key);
  }

  /**
   * Joins the run for `key`, starting it with `fn` if none is in flight. `signal` cancels this caller only:
   * it gets CANCELLED at once, and the shared run is aborted when its last caller has gone. `onEvent` hears
   * what the run emits while this caller waits (a caller joining late hears the rest).
   */
  run(
    key: string,
    signal: AbortSignal,
    fn: (signal: AbortSignal, emit: (event: E) => void) => Promise<T>,
    onEvent?: (event: E) => void,
  ): Promise<T> {
    if (signal.aborted) return Promise.reject(new BrutalistError('CANCELLED'));
    let flight = this.flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const listeners = new Set<(event: E) => void>();
      const emit = (event: E) => {
        for (const listener of listeners) listener(event);
      };
      const promise = fn(controller.signal, emit).finally(() => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      });
      flight = { promise, controller, listeners, waiters: 0 };
      this.flights.set(key, flight);
    }
    const joined = flight;
    joined.waiters++;
    // A wrapper per caller, so two callers passing the same function are still two listeners; bound to the
    // caller's async context, so what it does with an event (a log line, a notification) carries its own request.
    const listener = onEvent && bindToContext('brutalist:flight')((event: E) => onEvent(event));
    if (listener) joined.listeners.add(listener);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const leave = () => {
        signal.removeEventListener('abort', onAbort);
        if (listener) joined.listeners.delete(listener);
        joined.waiters--;
      };
      const onAbort = () => {
        if (settled) return;
        settled = true;
        leave();
        if (joined.waiters === 0) {
          // Nobody wants the result any more: stop the critics and forget the flight so a retry starts fresh.
          if (this.flights.get(key) === joined) this.flights.delete(key);
          joined.controller.abort(signal.reason);
        }
        reject(new BrutalistError('CANCELLED'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      joined.promise.then(
        (value) => {
          if (settled) return;
          settled = true;
          leave();
          resolve(value);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          leave();
          reject(err);
        },
      );
    });
  }
}

/** Deterministic JSON (sorted keys, undefined dropped) for cache keys. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}
