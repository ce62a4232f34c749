/** What a test scripts the stub model API to do, and what the stub records about each request. */

import type { ClientScript, ClientStep } from './client.js';

/** The three wire APIs the real critic CLIs speak. */
export type StubApi = 'anthropic' | 'openai' | 'gemini';

/** One scripted answer. Fields combine: delay, then an error status, a close, or a (possibly stalled) stream. */
export interface StubScript {
  /** The model's answer text (default: a short critique naming the API). */
  readonly text?: string;
  /** Wait this long before answering (the request is recorded at once). */
  readonly delayMs?: number;
  /** Answer with this HTTP status and the vendor's error body instead of a stream (429, 500, ...). */
  readonly status?: number;
  /** The message in the vendor error body. */
  readonly errorMessage?: string;
  /** Destroy the connection before any response byte. */
  readonly close?: boolean;
  /** Send the stream's first events and this many characters of text, then go silent (never end). */
  readonly stallAfterChars?: number;
  /** Destroy the connection after this many characters of text were streamed. */
  readonly closeAfterChars?: number;
  /** Characters of text per delta event (default 4096). */
  readonly chunkChars?: number;
  /**
   * Hold every request of every script sharing this gate object until `count` of them have arrived (at most
   * `maxWaitMs`, default 60 s), then answer them all: proof that callers were in flight at the same time.
   */
  readonly gate?: { readonly count: number; readonly maxWaitMs?: number };
  /**
   * Scripted-client mode (the stub plays the model behind an MCP client): each request that offers tools is
   * answered with the step this script picks from the tool results already in the conversation.
   */
  readonly client?: ClientScript;
}

export interface RecordedRequest {
  /** Order of arrival, from 0. */
  readonly seq: number;
  readonly api: StubApi | 'other';
  readonly method: string;
  /** Path including the query string. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  readonly body: unknown;
  readonly bodyBytes: number;
  /** Whether the client asked for a stream. */
  readonly stream: boolean;
  /** The model the client named (body.model or the Gemini path segment). */
  readonly model: string | undefined;
  /** All user-visible text of the request (system + messages), joined; what a prompt assertion looks at. */
  readonly promptText: string;
  /** What the stub did: 'stream', 'json', 'status:429', 'close', 'stall', 'probe'. */
  outcome: string;
  /** performance.now() when the request was complete. */
  readonly receivedAt: number;
  /** performance.now() when the first response byte went out (or the connection was dropped). */
  answeredAt?: number;
  /** What a scripted client's model did on this request (undefined outside scripted-client mode). */
  step?: ClientStep | undefined;
}

/** A rule picks a script for requests whose prompt text contains `marker` (and, optionally, one API). */
export interface StubRule {
  readonly marker: string;
  readonly api?: StubApi;
  readonly script: StubScript;
}
