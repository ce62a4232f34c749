/** Named diagnostics_channel channels with a typed message: the core publishes, observability subscribes. */
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';

export interface DiagnosticsChannel<T> {
  readonly name: string;
  /** Whether anyone listens: publishers build an event only when this is true. */
  readonly hasSubscribers: boolean;
  publish(message: T): void;
  /** Calls `handler` with every message published from now on; returns the unsubscriber. */
  subscribe(handler: (message: T) => void): () => void;
}

/** The channel `name` (node's channels are global by name), typed with the one message shape it carries. */
export function diagnosticsChannel<T>(name: string): DiagnosticsChannel<T> {
  const ch = channel(name);
  return {
    name,
    get hasSubscribers() {
      return ch.hasSubscribers;
    },
    publish: (message) => ch.publish(message),
    subscribe(handler) {
      // Channel messages are `unknown` to node; every publisher goes through `publish` above, typed T.
      const listener = (message: unknown) => handler(message as T);
      subscribe(name, listener);
      return () => {
        unsubscribe(name, listener);
      };
    },
  };
}
