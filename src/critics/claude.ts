/** The Claude Code adapter: read-only `claude -p` invocation and its stream-json output. */

import { dirname, join } from 'node:path';
import { str as strOption, url } from '../config/spec.js';
import type { StreamEvent } from '../streaming/index.js';
import { ByteText } from './byte-text.js';
import { outputInvalid } from './classify.js';
import { absolutePath, defineAdapter, googleKeyFile, modelArgs, tokenUsage } from './define-adapter.js';
import { claudeEvidence } from './evidence.js';
import { compact, type JsonObject, num, obj, str } from './jsonl.js';
import type { LineValues } from './line-scanner.js';
import { type LoginVerdict, no, type StatusOutput, unknown, yes } from './login-checks.js';
import { type EventParser, type OutputParser, type StreamLimits, streamParser } from './stream.js';
import type { CriticAdapter, InvocationOptions, ParsedOutput, ProgressReader, TokenUsage } from './types.js';
import { webProxyEnv } from './web-proxy.js';

/** claude's options: its executable, default model and API endpoint. */
export const CLAUDE_OPTIONS = {
  claudeBin: strOption(
    'BRUTALIST_CLAUDE_BIN',
    'claude',
    'Claude Code executable (name on PATH or absolute path).',
  ),
  claudeModel: strOption('BRUTALIST_CLAUDE_MODEL', '', 'Default model for claude (empty: the CLI default).'),
  // Custom endpoints (gateways, proxies): docs/operations.md#custom-endpoints
  claudeBaseUrl: url(
    'BRUTALIST_CLAUDE_BASE_URL',
    'Anthropic API base URL for claude (sets ANTHROPIC_BASE_URL; e.g. https://gateway.example/anthropic); empty: the CLI default.',
  ),
} as const;

/** Tools a critic may use: it reads the target, nothing else. */
export const CLAUDE_READ_TOOLS = 'Read,Glob,Grep';
/**
 * Denied explicitly: `--tools` limits what loads, `--disallowedTools` blocks even if settings allow it.
 * Every other built-in tool of Claude Code 2.1.197 (its default tool list as recorded by the real-CLI tests in
 * test/fixtures/recorded/claude-2.1.197/tools.json); an unknown name only earns a stderr warning, so the
 * contract test checks this list against the recording on every CLI upgrade.
 */
export const CLAUDE_DENIED_TOOLS = [
  'Agent',
  'Bash',
  'CronCreate',
  'CronDelete',
  'CronList',
  'Edit',
  'EnterWorktree',
  'ExitWorktree',
  'NotebookEdit',
  'ReportFindings',
  'ScheduleWakeup',
  'SendMessage',
  'Skill',
  'TaskCreate',
  'TaskGet',
  'TaskList',
  'TaskOutput',
  'TaskStop',
  'TaskUpdate',
  'WebFetch',
  'WebSearch',
  'Workflow',
  'Write',
].join(',');

/** Claude's web tools, given only to runs with nothing local to read (abstract domains). */
export const CLAUDE_WEB_TOOLS = ['WebFetch', 'WebSearch'];

/** Where claude sends model requests when no base URL is set (its NO_PROXY exemption under the web proxy). */
const CLAUDE_DEFAULT_API = 'https://api.anthropic.com';
/**
 * Under the URL-policy proxy our policy decides what WebFetch may reach; claude's own preflight would send every
 * domain to claude.ai first (also from routed critics, and failing every fetch where claude.ai is unreachable).
 */
const CLAUDE_WEB_SETTINGS = JSON.stringify({ skipWebFetchPreflight: true });

/**
 * The tool rules of a run: built-ins it loads, what is pre-approved, what is blocked; and its MCP config. Web tools
 * only for a run with nothing local to read and the run's URL-policy proxy to fetch through (ADR 0050).
 */
function toolRules(options: InvocationOptions) {
  const web = options.webTools === true && options.fileAccess === 'none' && options.webProxyUrl !== undefined;
  const evidence =
    options.evidence?.length && options.scratchDir
      ? claudeEvidence(options.evidence, options.scratchDir())
      : undefined;
  const denied = CLAUDE_DENIED_TOOLS.split(',').filter((t) => !(web && CLAUDE_WEB_TOOLS.includes(t)));
  return {
    web,
    tools: options.fileAccess === 'none' ? (web ? CLAUDE_WEB_TOOLS.join(',') : '') : CLAUDE_READ_TOOLS,
    allowed: [...(evidence?.allowed ?? []), ...(web ? CLAUDE_WEB_TOOLS : [])],
    denied: [...denied, ...(evidence?.denied ?? [])].join(','),
    configPath: evidence?.configPath,
    // A confined run sees its MCP config folder and the servers' installs.
    readOnly: evidence
      ? [dirname(evidence.configPath), ...(options.evidence ?? []).flatMap((e) => e.readOnly)]
      : [],
    writable: (options.evidence ?? []).flatMap((e) => e.writable),
  };
}

const buildInvocation: CriticAdapter['buildInvocation'] = (request, model, options = {}) => {
  const rules = toolRules(options);
  const args = [
    '-p',
    '--output-format',
    'stream-json',
    '--verbose',
    // Text deltas as they arrive: progress and the stall watchdog see a long answer being written, and the
    // text survives when 2.1.197 exits before flushing its final lines to a pipe (ADR 0008).
    '--include-partial-messages',
    '--no-session-persistence',
    // Only the operator's ~/.claude settings: the target's .claude/settings.json and settings.local.json (hooks,
    // env, apiKeyHelper, permissions, plugins, output style, model) and, with them, its CLAUDE.md files, rules,
    // skills, agents and commands are never loaded (2.1.197 gates all of these on the project/local sources).
    '--setting-sources',
    'user',
    // MCP servers only from --mcp-config (the run's evidence servers, or none): never the target's .mcp.json.
    '--strict-mcp-config',
    ...(rules.configPath ? ['--mcp-config', rules.configPath] : []),
    ...(rules.web ? ['--settings', CLAUDE_WEB_SETTINGS] : []),
    '--tools',
    rules.tools,
    ...(rules.allowed.length > 0 ? ['--allowedTools', rules.allowed.join(',')] : []),
    '--disallowedTools',
    rules.denied,
    ...modelArgs('--model', model),
    // Its own dollar cap: checked after each model turn, so the turn that crosses it is still written out.
    ...(options.maxBudgetUsd !== undefined ? ['--max-budget-usd', String(options.maxBudgetUsd)] : []),
  ];
  const env: Record<string, string> = {
    // No `git status`/`git log` for the system prompt: git would run the target's .git/config (core.fsmonitor).
    CLAUDE_CODE_DISABLE_GIT_INSTRUCTIONS: '1',
  };
  if (options.baseUrl) env.ANTHROPIC_BASE_URL = options.baseUrl;
  // WebFetch runs here and honours the proxy env: through the URL-policy proxy, model traffic exempted.
  if (rules.web && options.webProxyUrl) {
    Object.assign(env, webProxyEnv(options.webProxyUrl, options.baseUrl ?? CLAUDE_DEFAULT_API));
  }
  if (!rules.configPath) return { args, env, stdin: request.prompt };
  // -p connects MCP servers in the background (2.1.x): the first turn would find the evidence tools missing.
  env.MCP_CONNECTION_NONBLOCKING = '0';
  const shownArgs = args.map((a) => (a === rules.configPath ? '<mcp-config.json>' : a));
  return {
    args,
    shownArgs,
    env,
    stdin: request.prompt,
    readOnlyPaths: rules.readOnly,
    writablePaths: rules.writable,
  };
};

/** "claude-opus-4-8[1m]" → "claude-opus-4-8": the bracket is a context-window tag, not part of the id. */
function cleanModel(model: string | undefined): string | undefined {
  if (!model || model === '<synthetic>') return undefined;
  return model.replace(/\[[^\]]*\]$/, '');
}

/**
 * Usage from `modelUsage` (every model the run used, summed) when present: 2.1.197 zeroes the top-level `usage` of
 * a run stopped by --max-budget-usd while `modelUsage` keeps the real counts. Else the top-level `usage`.
 */
function usageOf(result: JsonObject): TokenUsage | undefined {
  const costUsd = num(result.total_cost_usd);
  const models = obj(result.modelUsage);
  const perModel = models
    ? Object.values(models)
        .map((m) => obj(m))
        .filter((m) => m !== undefined)
    : [];
  if (perModel.length > 0) {
    const sum = (key: string) => {
      const values = perModel.map((m) => num(m[key]));
      return values.every((v) => v === undefined)
        ? undefined
        : values.reduce<number>((a, v) => a + (v ?? 0), 0);
    };
    return tokenUsage({
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      cachedInputTokens: sum('cacheReadInputTokens'),
      costUsd,
    });
  }
  const u = obj(result.usage);
  if (!u && costUsd === undefined) return undefined;
  return tokenUsage({
    inputTokens: num(u?.input_tokens),
    outputTokens: num(u?.output_tokens),
    cachedInputTokens: num(u?.cache_read_input_tokens),
    costUsd,
  });
}

/** The result of a run that stopped at --max-budget-usd: not a failure, its messages are the (partial) answer. */
const BUDGET_SUBTYPE = 'error_max_budget_usd';
const isBudgetStop = (result: JsonObject): boolean => result.subtype === BUDGET_SUBTYPE;

/** One model message: its complete text (from `assistant` events), else its streamed text deltas. */
interface MessageText {
  assistant?: ByteText;
  streamed: ByteText;
}

const isErrorResult = (result: JsonObject): boolean =>
  !isBudgetStop(result) && (result.is_error === true || str(result.subtype)?.startsWith('error') === true);

const isEmpty = (t: string | ByteText): boolean => t.length === 0;

/**
 * Text is the final `result`; a run cut short has none, so each message's text stands in: its `assistant` event
 * when that line arrived whole, else its streamed deltas (messages joined by a blank line). Only one copy of each
 * message is kept, as UTF-8 bytes: deltas are dropped when the whole message arrives, and every message once the
 * result does. The text becomes a string once, in finish().
 */
class ClaudeEvents implements EventParser {
  private recognised = false;
  private initModel: string | undefined;
  private messageModel: string | undefined;
  private sessionId: string | undefined;
  private result: JsonObject | undefined;
  private resultText: ByteText | undefined;
  private resultError: string | undefined;
  private syntheticError: string | undefined;
  private readonly messages = new Map<string, MessageText>();
  private streaming = '';
  private kept = 0;
  /** A result with its own text (or an error) arrived: messages no longer matter. */
  private settled = false;
  private finished: ParsedOutput | undefined;

  constructor(private readonly maxBytes: number) {}

  take(ev: JsonObject, values: LineValues): void {
    if (ev.type === 'stream_event') {
      this.recognised = true;
      this.takeStreamEvent(obj(ev.event), values);
    } else if (ev.type === 'system' && ev.subtype === 'init') {
      this.recognised = true;
      this.initModel = cleanModel(str(ev.model));
      this.sessionId ??= str(ev.session_id);
    } else if (ev.type === 'assistant') {
      this.recognised = true;
      this.takeAssistant(ev, values);
    } else if (ev.type === 'result') {
      this.recognised = true;
      this.result = ev;
      this.sessionId = str(ev.session_id) ?? this.sessionId;
      const own = values.text(ev.result);
      if (own === undefined && !isErrorResult(ev)) return;
      // The result decides the text from here on (its own, or none when it is an error).
      this.settled = true;
      this.messages.clear();
      this.resultText = undefined;
      this.resultError = undefined;
      if (isErrorResult(ev)) {
        this.resultError = values.str(ev.result);
        this.kept = 0;
        return;
      }
      this.resultText = new ByteText(this.maxBytes);
      this.resultText.append(own ?? '');
      this.kept = this.resultText.seenBytes;
    }
  }

  /** Text deltas of `--include-partial-messages`, keyed by the message they belong to. */
  private takeStreamEvent(event: JsonObject | undefined, values: LineValues): void {
    if (event?.type === 'message_start') {
      const id = str(obj(event.message)?.id) ?? `stream-${this.messages.size}`;
      if (!this.messages.has(id)) this.messages.set(id, { streamed: new ByteText(this.maxBytes) });
      this.streaming = id;
      return;
    }
    const delta = obj(event?.delta);
    if (this.settled || event?.type !== 'content_block_delta' || delta?.type !== 'text_delta') return;
    const entry = this.entry(this.streaming);
    if (entry.assistant !== undefined) return; // the whole message is already here
    const before = entry.streamed.seenBytes;
    entry.streamed.append(values.text(delta.text) ?? '');
    this.kept += entry.streamed.seenBytes - before;
  }

  private takeAssistant(ev: JsonObject, values: LineValues): void {
    const message = obj(ev.message);
    this.messageModel = cleanModel(str(message?.model)) ?? this.messageModel;
    const blocks = Array.isArray(message?.content) ? message.content : [];
    const texts = blocks.map((b) => (obj(b)?.type === 'text' ? (values.text(obj(b)?.text) ?? '') : ''));
    if (typeof ev.error === 'string') {
      this.syntheticError = texts.map(String).join('') || ev.error;
      return;
    }
    if (texts.every(isEmpty) || this.settled) return;
    const id = str(message?.id) ?? `assistant-${this.messages.size}`;
    const entry = this.entry(id);
    // One assistant event per content block: blocks of one message are joined directly.
    if (entry.assistant === undefined) {
      // The whole message replaces its deltas, in the buffer they filled (its pages are in use already).
      this.kept -= entry.streamed.seenBytes;
      entry.assistant = entry.streamed;
      entry.assistant.truncate(0);
      entry.streamed = new ByteText(this.maxBytes);
    }
    const before = entry.assistant.seenBytes;
    for (const t of texts) entry.assistant.append(t);
    this.kept += entry.assistant.seenBytes - before;
  }

  private entry(id: string): MessageText {
    let entry = this.messages.get(id);
    if (!entry) {
      entry = { streamed: new ByteText(this.maxBytes) };
      this.messages.set(id, entry);
    }
    return entry;
  }

  answerBytes(): number {
    return this.kept;
  }

  /** The messages' texts joined by a blank line, within the bound; one message is decoded as it is. */
  private messagesText(): string {
    const parts = [...this.messages.values()]
      .map((m) => m.assistant ?? m.streamed)
      .filter((t) => t.length > 0);
    if (parts.length <= 1) return parts[0]?.drain() ?? '';
    const joined = new ByteText(this.maxBytes);
    parts.forEach((part, i) => {
      if (i > 0) joined.appendString('\n\n');
      joined.append(part);
    });
    return joined.drain();
  }

  finish(): ParsedOutput {
    if (!this.recognised) throw outputInvalid('claude');
    this.finished ??= this.read();
    return this.finished;
  }

  /** The result; the answer's bytes are let go as they are decoded. */
  private read(): ParsedOutput {
    const { result } = this;
    const isError = result !== undefined && isErrorResult(result);
    let error: ParsedOutput['error'];
    if (result && isError) {
      error = compact({
        message: this.resultError || str(result.subtype) || 'error',
        status: num(result.api_error_status),
      });
    } else if (!result && this.syntheticError) {
      error = { message: this.syntheticError };
    }
    const finalText = isError ? '' : (this.resultText?.drain() ?? this.messagesText());
    this.messages.clear();
    this.resultText = undefined;
    return compact({
      text: finalText,
      model: this.messageModel ?? this.initModel,
      usage: result ? usageOf(result) : undefined,
      sessionId: this.sessionId,
      error,
      stoppedBy: result && isBudgetStop(result) ? ('max_usd' as const) : undefined,
    });
  }
}

const openParser = (limits: StreamLimits): OutputParser =>
  streamParser(new ClaudeEvents(limits.maxAnswerBytes), limits);

/** Claude Code's own reading of a boolean env flag ("1", "true", "yes", "on", any case). */
export function envFlag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());
}

/** The providers of 2.1.197 that sign in with AWS credentials (Bedrock, Anthropic on AWS, Mantle). */
const AWS_PROVIDER_FLAGS = [
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_ANTHROPIC_AWS',
  'CLAUDE_CODE_USE_MANTLE',
];
/** What the Vertex provider reads beyond ANTHROPIC_VERTEX_*: Google credentials, project and regions. */
const VERTEX_ENV = [
  'GOOGLE_APPLICATION_CREDENTIALS',
  'GOOGLE_CLOUD_PROJECT',
  'GCLOUD_PROJECT',
  'CLOUDSDK_CONFIG',
  'CLOUD_ML_REGION',
  'VERTEX_REGION_*',
];

/** Anthropic and Claude Code settings always; cloud credentials only for the provider the server env turns on. */
function claudeEnvAllowlist(env: Readonly<Record<string, string | undefined>>): readonly string[] {
  const allow = ['ANTHROPIC_*', 'CLAUDE_CODE_*', 'CLAUDE_CONFIG_DIR', 'DISABLE_*'];
  if (AWS_PROVIDER_FLAGS.some((flag) => envFlag(env[flag]))) allow.push('AWS_*');
  if (envFlag(env.CLAUDE_CODE_USE_VERTEX)) allow.push(...VERTEX_ENV);
  return allow;
}

/**
 * Routing the operator never chose for the native critic: an ambient gateway or model in the server env would send
 * its prompts (and key) elsewhere. claudeBaseUrl / claudeModel set them on purpose (ADR 0048).
 */
const CLAUDE_AMBIENT_ROUTING = [
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_MODEL',
  'ANTHROPIC_SMALL_FAST_MODEL',
  'ANTHROPIC_DEFAULT_HAIKU_MODEL',
  'ANTHROPIC_DEFAULT_SONNET_MODEL',
  'ANTHROPIC_DEFAULT_OPUS_MODEL',
];

const CLAUDE_FIX = 'run `claude auth login` (or `claude` then /login), or set ANTHROPIC_API_KEY';
/** `claude auth status` (2.1.x): JSON {loggedIn, authMethod, apiProvider, apiKeySource?, subscriptionType?}; exit 1 when logged out. */
function claudeStatus(out: StatusOutput): LoginVerdict {
  let status: Record<string, unknown>;
  try {
    status = JSON.parse(out.stdout) as Record<string, unknown>;
  } catch {
    return unknown('`claude auth status` gave no JSON; run it to see');
  }
  if (status.loggedIn !== true) return no(CLAUDE_FIX);
  const str = (v: unknown) => (typeof v === 'string' && /^[\w.-]{1,40}$/.test(v) ? v : undefined);
  const method = str(status.authMethod);
  const provider = str(status.apiProvider);
  switch (method) {
    case 'claude.ai': {
      const plan = str(status.subscriptionType);
      return yes(`Claude account${plan ? ` (${plan})` : ''}`);
    }
    case 'api_key':
      return yes(`API key (${str(status.apiKeySource) ?? 'configured'})`);
    case 'api_key_helper':
      return yes('API key helper (user settings)');
    case 'oauth_token':
      return yes('OAuth token from the environment');
    case 'third_party':
      return yes(`cloud provider (${provider ?? 'third party'})`);
    default:
      return yes(method ?? 'logged in');
  }
}

/** claude stream-json: assistant messages carry text and tool_use content blocks. */
function claudeEvents(critic: string, line: JsonObject): StreamEvent[] {
  if (line.type !== 'assistant') return [];
  const blocks = obj(line.message)?.content;
  if (!Array.isArray(blocks)) return [];
  const events: StreamEvent[] = [];
  for (const raw of blocks) {
    const block = obj(raw);
    if (block?.type === 'text') events.push({ kind: 'text', critic, chars: str(block.text)?.length ?? 0 });
    else if (block?.type === 'tool_use')
      events.push({ kind: 'tool', critic, name: str(block.name) ?? 'tool' });
  }
  return events;
}

const claudeProgress: ProgressReader = { toolHint: '"tool_use"', extract: claudeEvents };

export const claudeAdapter: CriticAdapter = defineAdapter({
  name: 'claude',
  options: CLAUDE_OPTIONS,
  settings: (config) => ({
    binary: config.claudeBin,
    model: config.claudeModel || undefined,
    baseUrl: config.claudeBaseUrl || undefined,
  }),
  configPaths: (env) => {
    const home = absolutePath(env.HOME);
    const writable = home
      ? [absolutePath(env.CLAUDE_CONFIG_DIR) ?? join(home, '.claude'), join(home, '.claude.json')]
      : [];
    return { writable, readOnly: googleKeyFile(env) };
  },
  login: { statusArgs: ['auth', 'status', '--json'], interpret: claudeStatus },
  progress: claudeProgress,
  envAllowlist: claudeEnvAllowlist,
  envDenylist: CLAUDE_AMBIENT_ROUTING,
  webFetchProxied: true,
  buildInvocation,
  openParser,
});
