/**
 * A scriptable stand-in for the Anthropic, OpenAI Responses and Gemini APIs on an ephemeral 127.0.0.1 port,
 * so the real critic CLIs can run end to end without keys or network. It records every request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type ClientStep, toolCallFrames, toolNamesIn, toolResultsIn } from './client.js';
import { modelOf, promptTextOf, type Route, route, wantsStream } from './requests.js';
import type { RecordedRequest, StubApi, StubRule, StubScript } from './types.js';
import { encodeFrame, errorBody, jsonBody, sampleFromSchema, streamPlan } from './wire.js';

const DEFAULT_CHUNK_CHARS = 4096;
/** Request bodies are small JSON (a prompt and tool schemas); anything far larger is a test bug. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export const defaultText = (api: StubApi) =>
  `STUB-CRITIQUE from the ${api} stub: the plan looks fine; add tests.`;

export class StubModelServer {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly rules: StubRule[] = [];
  private fallback: StubScript = {};
  /** Keyed by the gate object itself, so scripts sharing one gate object wait for each other. */
  private readonly gates = new Map<object, { arrived: number; open: Promise<void>; release: () => void }>();
  private port = 0;
  private listening = false;

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts on an ephemeral loopback port. */
  static async start(): Promise<StubModelServer> {
    const stub = new StubModelServer();
    await stub.listen(0);
    return stub;
  }

  /** Base URL without a trailing slash, e.g. http://127.0.0.1:40123. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The script for requests with no matching rule. */
  setDefault(script: StubScript): void {
    this.fallback = script;
  }

  /** Requests whose prompt contains `marker` (optionally only on one API) get `script`; first rule wins. */
  when(marker: string, script: StubScript, api?: StubApi): void {
    this.rules.push({ marker, script, ...(api ? { api } : {}) });
  }

  /** Requests to the model APIs (not probes like claude's `HEAD /`) whose prompt contains `marker`. */
  requestsWith(marker: string): RecordedRequest[] {
    return this.requests.filter((r) => r.api !== 'other' && r.promptText.includes(marker));
  }

  /** Stops accepting connections (clients then get ECONNREFUSED) and drops open ones. */
  async refuse(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Accepts connections again on the same port. */
  async accept(): Promise<void> {
    if (!this.listening) await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        this.listening = true;
        resolve();
      });
    });
  }

  private scriptFor(api: StubApi | 'other', promptText: string): StubScript {
    const rule = this.rules.find(
      (r) => (r.api === undefined || r.api === api) && promptText.includes(r.marker),
    );
    return rule?.script ?? this.fallback;
  }

  private passGate(gate: NonNullable<StubScript['gate']>): Promise<void> {
    let state = this.gates.get(gate);
    if (!state) {
      let release = () => {};
      const open = new Promise<void>((resolve) => {
        release = resolve;
      });
      state = { arrived: 0, open, release };
      this.gates.set(gate, state);
    }
    state.arrived++;
    if (state.arrived >= gate.count) state.release();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, gate.maxWaitMs ?? 60_000).unref());
    return Promise.race([state.open, timeout]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    const r = route(method, url);
    const promptText = promptTextOf(body);
    const record: RecordedRequest = {
      seq: this.requests.length,
      api: r.api,
      method,
      url,
      headers: { ...req.headers },
      body,
      bodyBytes: raw.length,
      stream: wantsStream(body, r, url),
      model: modelOf(body, r),
      promptText,
      outcome: 'probe',
      receivedAt: performance.now(),
    };
    this.requests.push(record);
    if (r.api === 'other') {
      // claude sends `HEAD /` as a connectivity check; anything else unknown is a 404 the test can see.
      res.writeHead(method === 'HEAD' || url === '/' ? 200 : 404).end();
      return;
    }
    await this.answer(r, record, this.scriptFor(r.api, promptText), res);
  }

  private async answer(r: Route, record: RecordedRequest, script: StubScript, res: ServerResponse) {
    const api = r.api as StubApi;
    if (script.gate) await this.passGate(script.gate);
    if (script.delayMs) await sleep(script.delayMs);
    record.answeredAt = performance.now();
    if (script.close) {
      record.outcome = 'close';
      res.socket?.destroy();
      return;
    }
    if (script.status) {
      record.outcome = `status:${script.status}`;
      const message = script.errorMessage ?? `stub error ${script.status}`;
      res.writeHead(script.status, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify(errorBody(api, script.status, message)));
      return;
    }
    const model = record.model ?? 'stub-model';
    const schema = jsonSchemaOf(record.body);
    const step = schema === undefined ? clientStep(api, record.body, script) : undefined;
    record.step = step;
    if (step && 'call' in step) {
      record.outcome = 'tool_call';
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const frame of toolCallFrames(api, model, step.call, record.seq))
        await write(res, encodeFrame(frame));
      res.end();
      return;
    }
    const text =
      schema !== undefined
        ? JSON.stringify(sampleFromSchema(schema))
        : step
          ? step.text
          : (script.text ?? defaultText(api));
    if (!record.stream) {
      record.outcome = 'json';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(jsonBody(api, model, text)));
      return;
    }
    record.outcome = 'stream';
    await this.stream(api, model, text, script, record, res);
  }

  private async stream(
    api: StubApi,
    model: string,
    text: string,
    script: StubScript,
    record: RecordedRequest,
    res: ServerResponse,
  ): Promise<void> {
    const plan = streamPlan(api, model);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const frame of plan.head) await write(res, encodeFrame(frame));
    const chunk = Math.max(1, script.chunkChars ?? DEFAULT_CHUNK_CHARS);
    const stopAt = script.stallAfterChars ?? script.closeAfterChars;
    for (let i = 0; i < text.length; i += chunk) {
      if (stopAt !== undefined && i >= stopAt) break;
      const end = stopAt !== undefined ? Math.min(i + chunk, stopAt) : i + chunk;
      await write(res, encodeFrame(plan.delta(text.slice(i, end))));
    }
    if (script.stallAfterChars !== undefined) {
      // Silent but open until the client gives up or the stub closes.
      record.outcome = 'stall';
      return;
    }
    if (script.closeAfterChars !== undefined) {
      record.outcome = 'close-mid-stream';
      res.socket?.destroy();
      return;
    }
    for (const frame of plan.tail(text)) await write(res, encodeFrame(frame));
    res.end();
  }
}

/**
 * A scripted client's next step: its script decides from the tool results so far; a request that offers no
 * tools (a client's side request, e.g. a title) gets the plain text.
 */
function clientStep(api: StubApi, body: unknown, script: StubScript): ClientStep | undefined {
  if (!script.client) return undefined;
  if (toolNamesIn(api, body).length === 0) return { text: script.text ?? defaultText(api) };
  return script.client(toolResultsIn(api, body));
}

/** The JSON schema of a structured-output request (Gemini's model router), if any. */
function jsonSchemaOf(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  const config = (body as Record<string, unknown>).generationConfig as Record<string, unknown> | undefined;
  if (config?.responseMimeType !== 'application/json') return undefined;
  return config.responseJsonSchema ?? config.responseSchema ?? {};
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes with backpressure; resolves early when the client has gone (nothing more to do). */
function write(res: ServerResponse, data: string): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  if (res.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new Error('stub: request body too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A loopback URL that refuses connections: a port that was free a moment ago (best effort). */
export async function refusedUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
