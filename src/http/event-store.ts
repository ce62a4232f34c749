/**
 * The SSE events one session keeps for resumption: what its streams sent (progress, results), so a client that
 * reconnects with `Last-Event-ID` gets what it missed. Bounded in bytes, oldest dropped first.
 */
import type { EventId, EventStore, StreamId } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { BrutalistError } from '../errors/index.js';

interface StoredEvent {
  readonly streamId: StreamId;
  readonly seq: number;
  readonly message: JSONRPCMessage;
  readonly bytes: number;
}

/** Event ids are `<streamId>~<sequence>`; the SDK's stream ids (UUIDs, `_GET_stream`) hold no `~`. */
const SEPARATOR = '~';

/**
 * An EventStore holding at most `maxBytes` of serialized messages for one session. Replay sends the events of the
 * Last-Event-ID's stream that come after it and are still held; events dropped by the bound are gone (the
 * critique's result itself stays fetchable by `context_id`).
 */
export class BoundedEventStore implements EventStore {
  private readonly events: StoredEvent[] = [];
  private head = 0;
  private bytes = 0;
  private nextSeq = 1;
  private dropped = 0;

  constructor(private readonly maxBytes: number) {}

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const seq = this.nextSeq++;
    const bytes = JSON.stringify(message).length + streamId.length;
    this.events.push({ streamId, seq, message, bytes });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes && this.head < this.events.length) {
      this.bytes -= this.events[this.head]?.bytes ?? 0;
      this.head++;
      this.dropped++;
    }
    // Compact once the dropped prefix is as long as what is held (amortised O(1) per event).
    if (this.head > 64 && this.head * 2 > this.events.length) {
      this.events.splice(0, this.head);
      this.head = 0;
    }
    return `${streamId}${SEPARATOR}${seq}`;
  }

  /**
   * Whether `eventId` names a stream this store holds events of. The handler refuses others before the SDK sees
   * them. (No getStreamIdForEventId on purpose: with it the SDK answers 409 while it still holds the dropped
   * connection's stream, which a half-open TCP connection can make last minutes; without it a resume replaces it.)
   */
  knows(eventId: EventId): boolean {
    const parsed = parseEventId(eventId);
    if (!parsed) return false;
    for (let i = this.head; i < this.events.length; i++) {
      if (this.events[i]?.streamId === parsed.streamId) return true;
    }
    return false;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const parsed = parseEventId(lastEventId);
    if (!parsed) throw new BrutalistError('EVENT_ID_UNKNOWN');
    for (const event of this.events.slice(this.head)) {
      if (event.streamId !== parsed.streamId || event.seq <= parsed.seq) continue;
      // The priming event (an empty message) carries no content to replay.
      if (Object.keys(event.message).length === 0) continue;
      await send(`${event.streamId}${SEPARATOR}${event.seq}`, event.message);
    }
    return parsed.streamId;
  }

  /** Bytes held and events dropped by the bound so far. */
  stats(): { bytes: number; held: number; dropped: number } {
    return { bytes: this.bytes, held: this.events.length - this.head, dropped: this.dropped };
  }
}

function parseEventId(eventId: EventId): { streamId: StreamId; seq: number } | undefined {
  const at = eventId.lastIndexOf(SEPARATOR);
  if (at <= 0) return undefined;
  const seq = Number(eventId.slice(at + 1));
  if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
  return { streamId: eventId.slice(0, at), seq };
}
