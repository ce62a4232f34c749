/** The MCP server: tool list, tool dispatch, roots, progress and cancellation. No business logic here. */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type CallToolRequest,
  CallToolRequestSchema,
  type CallToolResult,
  type CreateTaskResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  RootsListChangedNotificationSchema,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { Engine, RequestContext } from '../engine/index.js';
import { BrutalistError, toBrutalistError } from '../errors/index.js';
import {
  currentRequest,
  type Logger,
  observeToolCall,
  runInRequest,
  type SloReport,
} from '../observability/index.js';
import { narrowRoots, rootsFromUris } from '../security/index.js';
import type { RequestStream, StreamHub } from '../streaming/index.js';
import { callSloReport, SLO_REPORT_DEFINITION, SLO_REPORT_TOOL } from './admin-tools.js';
import { formatError, formatResult, type SanitizeScope } from './format.js';
import { PrincipalTaskStore, serveTaskList, taskRpcError, toTask } from './task-store.js';
import { parseToolArgs, type ToolName, toolsFor } from './tools.js';

export const SERVER_NAME = 'brutalist-mcp';

export interface McpServerOptions {
  readonly engine: Engine;
  readonly version: string;
  /** Server env, used to scrub secrets from errors. */
  readonly env?: NodeJS.ProcessEnv;
  /** Who owns results created on this connection (stdio: the local user). */
  readonly owner?: string;
  /** Server cwd, the last-resort root. */
  readonly cwd?: string;
  /** The server-wide notification streams (rate limits are shared by every connection). */
  readonly streams: StreamHub;
  /** The server log (stderr); every failed tool call is logged there with its request id. */
  readonly logger?: Logger;
  /** Which tools tools/list shows (HTTP: the principal's scopes); default all. Calls are checked by the caller. */
  readonly toolListed?: (name: string) => boolean;
  /** The SLO report of the `slo_report` admin tool; without it the tool is not offered. */
  readonly sloReport?: () => Promise<SloReport>;
}

const INSTRUCTIONS = [
  'brutalist-mcp runs the AI coding CLIs installed on this machine (claude, codex, gemini) as brutally honest critics.',
  'Start with `brutalist_discover` if unsure which domain fits; `roast` critiques code (target = a path) or ideas (context = text);',
  'long critiques come in pages: follow the cursor in the result. One critic runs by default; list several in `clis` for more.',
  'A critique that takes long answers "running" with a context_id: call the same tool with just {"context_id": …} to wait for it.',
  'Clients with MCP tasks may call roast and roast_cli_debate as tasks instead (tasks/get, tasks/result, tasks/cancel).',
].join(' ');

/** MCP tasks (spec 2025-11-25): roast and roast_cli_debate may run as tasks; tasks can be listed and cancelled. */
const TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } } as const;

export function createMcpServer(options: McpServerOptions): Server {
  const { engine } = options;
  const env = options.env ?? process.env;
  const owner = options.owner ?? 'local';
  // Filled in below, once roots() exists: the task store scrubs task errors of this connection's roots.
  const caller = { owner, scope: async (): Promise<SanitizeScope> => ({ roots: await roots(), env }) };
  const taskStore = new PrincipalTaskStore(engine, caller);
  const server = new Server(
    { name: SERVER_NAME, version: options.version },
    {
      capabilities: { tools: {}, logging: {}, tasks: TASKS_CAPABILITY },
      instructions: INSTRUCTIONS,
      taskStore,
      defaultTaskPollInterval: engine.config.taskPollIntervalMs,
    },
  );
  serveTaskList(server, taskStore);

  // Client roots are fetched once and refreshed only when the client says they changed. Configured roots
  // (BRUTALIST_ROOTS) are a ceiling: client roots narrow them, never widen them (security.md#client-roots).
  // null: the client offered no file roots (or listing them failed), so the configured roots apply as they are.
  let clientRoots: Promise<string[] | null> | undefined;
  server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
    clientRoots = undefined;
  });
  const roots = async (): Promise<string[]> => {
    const configured = engine.config.roots;
    if (server.getClientCapabilities()?.roots) {
      clientRoots ??= server
        .listRoots(undefined, { timeout: 10_000 })
        .then((r) => {
          const offered = rootsFromUris(r.roots.map((root) => root.uri));
          return offered.length > 0 ? narrowRoots(configured, offered) : null;
        })
        .catch(() => {
          clientRoots = undefined;
          return null;
        });
      // Roots all outside the configured ones narrow to none: every path is then PATH_OUTSIDE_ROOT.
      const fromClient = await clientRoots;
      if (fromClient !== null) return [...fromClient];
    }
    if (configured.length > 0) return [...configured];
    return [options.cwd ?? process.cwd()];
  };

  // The schemas advertise the configured text bounds, the ones the engine enforces.
  const tools = toolsFor(engine.config);
  const listed = options.toolListed ?? (() => true);
  const sloReport = options.sloReport && listed(SLO_REPORT_TOOL) ? options.sloReport : undefined;
  const definitions = [
    ...Object.entries(tools)
      .filter(([name]) => listed(name))
      .map(([, t]) => t.definition),
    ...(sloReport ? [SLO_REPORT_DEFINITION] : []),
  ];
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: definitions }));

  // Each call runs in its own request context: its id (the trace id, continued from the caller's traceparent)
  // is on every log line the call causes, in its errors and in its critics' TRACEPARENT.
  // A task-augmented call answers at once with its task; the request metrics see its run's waits, not its start.
  server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
    const tool = request.params.name.slice(0, 64);
    const task = request.params.task;
    const traceparent = callerTraceparent(request.params._meta, extra.requestInfo?.headers);
    if (task) return runInRequest(tool, () => startTask(request, extra, task.ttl), traceparent);
    return runInRequest(
      tool,
      () =>
        observeToolCall({ principal: owner, domain: request.params.arguments?.domain }, () =>
          callTool(request, extra),
        ),
      traceparent,
    );
  });
  /**
   * A task-augmented call: the critique starts as a task at once (its run detaches before any wait) and the answer
   * is the task; a call that fails before its run exists is a failed task whose result is the error.
   */
  const startTask = async (
    request: CallToolRequest,
    extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
    ttlMs: number | undefined,
  ): Promise<CreateTaskResult> => {
    const name = request.params.name;
    if (name !== 'roast' && name !== 'roast_cli_debate') {
      throw new McpError(ErrorCode.MethodNotFound, `Tool ${name.slice(0, 64)} does not run as a task.`);
    }
    const allowedRoots = await roots();
    const created = engine.tasks.create(owner, name, ttlMs, async () => {
      const args = parseToolArgs(name, request.params.arguments ?? {}, tools);
      if (args.tool !== 'roast' && args.tool !== 'roast_cli_debate')
        throw new BrutalistError('INTERNAL_ERROR');
      const { cursor, context_id, cancel } = args.args;
      if (cursor !== undefined || context_id !== undefined || cancel !== undefined) {
        throw new BrutalistError(
          'INVALID_ARGUMENT',
          'A task starts a new critique; follow-ups (cursor, context_id, cancel) are plain calls or tasks/* requests.',
          {
            data: {
              field: cursor !== undefined ? 'cursor' : context_id !== undefined ? 'context_id' : 'cancel',
            },
          },
        );
      }
      const timeoutMs = metaTimeoutMs(request.params._meta);
      const ctx: RequestContext = {
        owner,
        roots: allowedRoots,
        signal: extra.signal,
        waitMs: 0,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      };
      return args.tool === 'roast' ? engine.roast(args.args, ctx) : engine.debate(args.args, ctx);
    });
    const view = await created.catch((err: unknown) => {
      throw taskRpcError(err);
    });
    const progressToken = request.params._meta?.progressToken;
    if (progressToken !== undefined && view.status === 'working')
      relayTaskProgress(view.taskId, progressToken);
    return { task: toTask(view, { roots: allowedRoots, env }) };
  };

  /**
   * A task's progress goes on after its creating call answered: rate-limited like a call's, sent on the session
   * (the SDK client keeps the call's progress token until the task ends), until the run ends here.
   */
  const relayTaskProgress = (taskId: string, progressToken: string | number): void => {
    const stream = options.streams.open({
      progress: (notice) =>
        server
          .notification({
            method: 'notifications/progress',
            params: {
              progressToken,
              progress: notice.progress,
              message: notice.message,
              ...(notice.droppedEvents > 0 ? { _meta: { droppedEvents: notice.droppedEvents } } : {}),
            },
          })
          // The client went away: the task goes on, its progress has nowhere to go.
          .catch(() => {}),
    });
    void engine.watchRun(owner, taskId, (event) => stream.push(event)).finally(() => stream.close());
  };

  const callTool = async (
    request: CallToolRequest,
    extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
  ): Promise<CallToolResult> => {
    const allowedRoots = await roots();
    const name = request.params.name;
    let stream: RequestStream | undefined;
    try {
      if (name === SLO_REPORT_TOOL && sloReport)
        return await callSloReport(request.params.arguments, sloReport);
      if (!Object.hasOwn(tools, name)) {
        throw new BrutalistError('INVALID_ARGUMENT', `Unknown tool ${JSON.stringify(name.slice(0, 64))}.`, {
          data: { tools: Object.keys(tools) },
        });
      }
      const tool = name as ToolName;
      const args = parseToolArgs(tool, request.params.arguments ?? {}, tools);
      const progressToken = request.params._meta?.progressToken;
      stream = options.streams.open({
        progress:
          progressToken === undefined
            ? undefined
            : (notice) =>
                extra.sendNotification({
                  method: 'notifications/progress',
                  params: {
                    progressToken,
                    progress: notice.progress,
                    message: notice.message,
                    ...(notice.droppedEvents > 0 ? { _meta: { droppedEvents: notice.droppedEvents } } : {}),
                  },
                }),
        log: (entry, droppedEvents) => {
          const note = droppedEvents > 0 ? ` [${droppedEvents} earlier lines dropped]` : '';
          // sendLoggingMessage applies the session's logging/setLevel choice.
          return server.sendLoggingMessage(
            { level: entry.level, logger: SERVER_NAME, data: entry.text + note },
            extra.sessionId,
          );
        },
      });
      const events = stream;
      const timeoutMs = metaTimeoutMs(request.params._meta);
      const ctx: RequestContext = {
        owner,
        roots: allowedRoots,
        signal: extra.signal,
        onEvent: (event) => events.push(event),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      };
      switch (args.tool) {
        case 'roast':
          return formatResult(name, await engine.roast(args.args, ctx), stream.close());
        case 'roast_cli_debate':
          return formatResult(name, await engine.debate(args.args, ctx), stream.close());
        case 'brutalist_discover': {
          const suggestions = engine.discover(args.args.intent, args.args.limit);
          const text = formatSuggestions(suggestions);
          // The text first in structuredContent too: some clients hand the model only that object.
          return { content: [{ type: 'text', text }], structuredContent: { text, suggestions } };
        }
        case 'cli_agent_roster': {
          const critics = await engine.roster();
          const capacity = engine.capacity();
          const state = await engine.stateHealth();
          const sandbox = await engine.sandbox();
          const stateLine = `\nState store: ${state.backend}, ${state.status}${state.detail ? ` (${state.detail})` : ''}.\n`;
          const sandboxLine = `Sandbox: ${sandbox.mode} (${sandbox.note}).\n`;
          const text = formatRoster(critics, capacity) + stateLine + sandboxLine;
          return {
            content: [{ type: 'text', text }],
            structuredContent: {
              text,
              critics,
              preference: [...engine.config.criticPreference],
              capacity,
              state,
              sandbox,
            },
          };
        }
      }
    } catch (err) {
      const error = toBrutalistError(err);
      logToolError(options.logger, error);
      return formatError(error, { roots: allowedRoots, env, requestId: currentRequest()?.requestId });
    } finally {
      stream?.close();
    }
  };
  return server;
}

/** Internal errors at `error` with their cause (stderr is the operator's); the rest at `info` (the client got them). */
function logToolError(logger: Logger | undefined, error: BrutalistError): void {
  if (!logger) return;
  const fields = { event: 'tool_error', code: error.code, retryable: error.retryable, data: error.data };
  if (error.code === 'INTERNAL_ERROR') {
    const cause = error.cause instanceof Error ? error.cause : undefined;
    logger.error(
      {
        ...fields,
        cause: cause ? { name: cause.name, message: cause.message, stack: cause.stack } : String(error.cause),
      },
      'tool call failed',
    );
  } else {
    logger.info(fields, 'tool call failed');
  }
}

function formatSuggestions(suggestions: ReturnType<Engine['discover']>): string {
  const lines = ['# Suggested domains', ''];
  for (const s of suggestions) {
    lines.push(`- **${s.domain}** (score ${s.score.toFixed(2)}): ${s.why}`);
    lines.push(`  example: \`roast ${JSON.stringify(s.example.arguments)}\``);
  }
  return lines.join('\n');
}

function formatRoster(
  critics: Awaited<ReturnType<Engine['roster']>>,
  capacity: ReturnType<Engine['capacity']>,
): string {
  const lines = [
    '# Critic roster',
    '',
    '| critic | available | version | logged in | default model | problem | circuit | running / queued |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const c of critics) {
    const circuit =
      c.circuit.state === 'closed'
        ? `closed (${c.circuit.calls} calls, ${c.circuit.failureRatePct}% failed)`
        : `${c.circuit.state.replace('_', '-')}, retry in ${Math.ceil(c.circuit.retryAfterMs / 1000)} s`;
    lines.push(
      `| ${c.critic} | ${c.available ? 'yes' : 'no'} | ${c.version ?? '-'} | ${loginCell(c.login)} | ${c.defaultModel ?? 'CLI default'} | ${c.error ?? '-'} | ${circuit} | ${c.running} / ${c.queued} |`,
    );
  }
  // The file each installed critic is spawned by (resolved from absolute PATH entries only).
  const binaries = critics.filter((c) => c.path).map((c) => `${c.critic} ${c.path}`);
  if (binaries.length > 0) lines.push('', `Binaries: ${binaries.join(', ')}`);
  lines.push(
    '',
    `Slots: ${capacity.running}/${capacity.maxConcurrent} running, ${capacity.queued}/${capacity.maxQueueSize} queued` +
      (capacity.pressure.level > 0
        ? `; under pressure (${capacity.pressure.reason}): low priorities are shed.`
        : '.'),
  );
  return lines.join('\n');
}

/** "yes (how)", "no: the fix", "unknown: why", or "-" when the critic is not installed. */
function loginCell(login: Awaited<ReturnType<Engine['roster']>>[number]['login']): string {
  if (!login) return '-';
  if (login.loggedIn === true) return `yes (${login.method})`;
  return `${login.loggedIn === false ? 'no' : 'unknown'}: ${login.fix}`;
}

/** The client's time budget for the request, `_meta.timeoutMs` (ms from now); absent: the server default. */
function metaTimeoutMs(meta: Record<string, unknown> | undefined): number | undefined {
  const value = meta?.timeoutMs;
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new BrutalistError(
      'INVALID_ARGUMENT',
      'Invalid argument _meta.timeoutMs: must be an integer >= 1 (milliseconds).',
      {
        data: { field: '_meta.timeoutMs' },
      },
    );
  }
  return value;
}

/** The caller's W3C trace context: MCP `_meta.traceparent` (this call's own), else the HTTP `traceparent` header. */
function callerTraceparent(
  meta: Record<string, unknown> | undefined,
  headers: Record<string, string | string[] | undefined> | undefined,
): unknown {
  return meta?.traceparent ?? headers?.traceparent;
}
