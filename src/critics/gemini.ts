/** The Gemini CLI adapter: headless `gemini -o stream-json` invocation (never --yolo) and its output. */
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bool, str as strOption, url } from '../config/spec.js';
import type { StreamEvent } from '../streaming/index.js';
import { ByteText } from './byte-text.js';
import { classifyRun, outputInvalid, statusFromMessage } from './classify.js';
import { absolutePath, defineAdapter, googleKeyFile, modelArgs } from './define-adapter.js';
import { geminiEvidence } from './evidence.js';
import { compact, type JsonObject, num, obj, str } from './jsonl.js';
import type { LineValues } from './line-scanner.js';
import { exists, type LoginVerdict, no, readText, unknown, yes } from './login-checks.js';
import {
  type EventParser,
  lineBoundFor,
  type OutputParser,
  type StreamLimits,
  streamParser,
} from './stream.js';
import type { CriticAdapter, InvocationOptions, ParsedOutput, ProgressReader, TokenUsage } from './types.js';

/** gemini's options: its executable, default model, API endpoint and how it treats the target folder. */
export const GEMINI_OPTIONS = {
  geminiBin: strOption(
    'BRUTALIST_GEMINI_BIN',
    'gemini',
    'Gemini CLI executable (name on PATH or absolute path).',
  ),
  geminiModel: strOption('BRUTALIST_GEMINI_MODEL', '', 'Default model for gemini (empty: the CLI default).'),
  geminiBaseUrl: url(
    'BRUTALIST_GEMINI_BASE_URL',
    'Gemini API base URL for gemini (sets GOOGLE_GEMINI_BASE_URL); empty: the CLI default.',
  ),
  geminiTrustWorkspace: bool(
    'BRUTALIST_GEMINI_TRUST_WORKSPACE',
    false,
    'UNSAFE for targets you did not write: gemini trusts the target and loads its .gemini settings (MCP servers, hooks, tools) and .env. Off: gemini runs the target untrusted and loads nothing from it (docs/security.md).',
  ),
  geminiSystemDefaultsPath: strOption(
    'BRUTALIST_GEMINI_SYSTEM_DEFAULTS_PATH',
    '',
    'Gemini system-defaults settings file that lets gemini run an untrusted target (folder trust and local .env off); gemini reads it only when it and its folders are root-owned and not group/world-writable. Empty: the copy shipped in assets/gemini/.',
  ),
} as const;

/** Gemini CLI's FatalAuthenticationError exit code. */
export const GEMINI_AUTH_EXIT_CODE = 41;
/** Gemini CLI exits 55 when the working folder is not trusted and trust was not granted for the session. */
export const GEMINI_UNTRUSTED_EXIT_CODE = 55;

const asset = (name: string) => fileURLToPath(new URL(`../../assets/gemini/${name}`, import.meta.url));
/**
 * System defaults (the lowest settings layer) that turn folder trust off, so an untrusted folder is not a fatal
 * exit 55 in headless mode, and turn the target's `.env` off. Gemini reads a system file only when it and every
 * folder above it are root-owned and not group/world-writable; otherwise it skips it and exits 55 (fail closed).
 */
export const GEMINI_SYSTEM_DEFAULTS_PATH = asset('system-defaults.json');
/**
 * Gemini's own rule for a system settings file: it and every folder above it are root-owned and not group- or
 * world-writable. A file that fails it is skipped, and every filesystem target then fails WORKSPACE_UNTRUSTED.
 */
export function geminiReadsSystemFile(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.uid !== 0 || (st.mode & 0o022) !== 0) return false;
    if (dirname(p) === p) return true;
  }
}

/** A policy that denies the file tools (and subagents): they are then not offered to the model at all. */
export const GEMINI_NO_FILE_TOOLS_POLICY_PATH = asset('no-file-tools.toml');

/**
 * Gemini 0.61 loads the folder's `.gemini/settings.json` (MCP servers, hooks, tool discovery commands, model,
 * tools), `.gemini/.env` and every `.env` key only in a trusted folder. The target is explicitly untrusted for the
 * run (GEMINI_CLI_TRUST_WORKSPACE=false wins over every trust source) unless the operator opted in to trust.
 */
function trustEnv(options: InvocationOptions): Record<string, string> {
  if (options.trustWorkspace) return { GEMINI_CLI_TRUST_WORKSPACE: 'true' };
  return {
    GEMINI_CLI_TRUST_WORKSPACE: 'false',
    GEMINI_CLI_SYSTEM_DEFAULTS_PATH: options.geminiSystemDefaultsPath || GEMINI_SYSTEM_DEFAULTS_PATH,
  };
}

/**
 * Evidence servers for a run in its private empty folder (fileAccess `none`): that folder's workspace settings
 * hold them (geminiEvidence), so it is trusted for this run; a target folder never is (run.ts refuses evidence
 * for gemini there with EVIDENCE_UNSUPPORTED).
 */
function evidenceSetup(options: InvocationOptions) {
  if (!options.evidence?.length || options.fileAccess !== 'none' || !options.cwd) return undefined;
  const { allowedNames } = geminiEvidence(options.evidence, options.cwd);
  return {
    args: ['--allowed-mcp-server-names', ...allowedNames],
    readOnly: options.evidence.flatMap((e) => e.readOnly),
    writable: options.evidence.flatMap((e) => e.writable),
  };
}

const buildInvocation: CriticAdapter['buildInvocation'] = (request, model, options = {}) => {
  const args = ['-o', 'stream-json', '--approval-mode', 'default'];
  if (options.fileAccess === 'none') args.push('--policy', GEMINI_NO_FILE_TOOLS_POLICY_PATH);
  const evidence = evidenceSetup(options);
  if (evidence) args.push(...evidence.args);
  // `-p ""` selects headless mode; Gemini appends it to the prompt read from stdin.
  args.push(...modelArgs('-m', model), '-p', '');
  const env = evidence ? { ...trustEnv(options), GEMINI_CLI_TRUST_WORKSPACE: 'true' } : trustEnv(options);
  if (options.baseUrl) env.GOOGLE_GEMINI_BASE_URL = options.baseUrl;
  if (options.fileAccess !== 'none') return { args, env, stdin: request.prompt };
  const shownArgs = args.map((a) => (a === GEMINI_NO_FILE_TOOLS_POLICY_PATH ? '<no-file-tools.toml>' : a));
  if (!evidence) return { args, shownArgs, env, stdin: request.prompt };
  return {
    args,
    shownArgs,
    env,
    stdin: request.prompt,
    readOnlyPaths: evidence.readOnly,
    writablePaths: evidence.writable,
  };
};

function streamUsage(stats: JsonObject | undefined): TokenUsage | undefined {
  if (!stats) return undefined;
  return compact({
    inputTokens: num(stats.input_tokens),
    outputTokens: num(stats.output_tokens),
    cachedInputTokens: num(stats.cached),
    totalTokens: num(stats.total_tokens),
  });
}

/** `-o json` stats: per-model token counts, summed. */
function jsonUsage(stats: JsonObject | undefined): TokenUsage | undefined {
  const models = obj(stats?.models);
  if (!models) return undefined;
  let input = 0;
  let output = 0;
  let cached = 0;
  let total = 0;
  for (const entry of Object.values(models)) {
    const t = obj(obj(entry)?.tokens);
    input += num(t?.prompt) ?? 0;
    output += num(t?.candidates) ?? 0;
    cached += num(t?.cached) ?? 0;
    total += num(t?.total) ?? 0;
  }
  return { inputTokens: input, outputTokens: output, cachedInputTokens: cached, totalTokens: total };
}

/** Advice Gemini CLI appends to every 429 ("...request a quota increase..."): not evidence of an empty quota. */
const RATE_ADVICE_RE =
  /\s*Please wait and try again later\. To increase your limits, request a quota increase[^\n]*/;
/** An API error body embedded in the message: `[API Error: {"error":{"code":500,...}}]`. */
const EMBEDDED_CODE_RE = /"code":\s*([1-5]\d\d)\b/;

function errorOf(value: unknown, values?: LineValues): ParsedOutput['error'] {
  const e = obj(value);
  if (!e) return undefined;
  const raw = (values ? values.str(e.message) : str(e.message)) ?? str(e.type) ?? 'error';
  const advised = RATE_ADVICE_RE.test(raw);
  const message = advised ? raw.replace(RATE_ADVICE_RE, '') : raw;
  const embedded = EMBEDDED_CODE_RE.exec(message);
  const status = statusFromMessage(message) ?? (embedded ? Number(embedded[1]) : advised ? 429 : undefined);
  return compact({ message, status });
}

/**
 * Gemini CLI names the kind of a 429 on stderr: RetryableQuotaError (per-minute limits: rate limited) or
 * TerminalQuotaError (daily quota or billing: exhausted). Both words contain "Quota", so they are read first.
 */
const classifyFailure: CriticAdapter['classifyFailure'] = (run, parsed) => {
  const code = classifyRun(run, parsed, {
    authExitCodes: [GEMINI_AUTH_EXIT_CODE],
    untrustedExitCodes: [GEMINI_UNTRUSTED_EXIT_CODE],
  });
  if (code !== 'QUOTA_EXCEEDED' && code !== 'RATE_LIMITED' && code !== 'CLI_FAILED') return code;
  if (/\bTerminalQuotaError\b/.test(run.stderrTail)) return 'QUOTA_EXCEEDED';
  if (/\bRetryableQuotaError\b/.test(run.stderrTail)) return 'RATE_LIMITED';
  return code;
};

/** The single-object shape of `-o json`: {session_id, response, stats, error}. */
function parseJsonShape(stdout: string): ParsedOutput | undefined {
  const trimmed = stdout.trim();
  if (!trimmed.startsWith('{') || trimmed.indexOf('\n') < 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  const o = obj(value);
  if (!o || 'type' in o || !('response' in o || 'error' in o)) return undefined;
  return compact({
    text: str(o.response) ?? '',
    usage: jsonUsage(obj(o.stats)),
    sessionId: str(o.session_id),
    error: errorOf(o.error),
  });
}

/**
 * stream-json: init → user message → assistant deltas → result{status, stats, error?}. Until a line parses as a
 * JSON object, the raw bytes are kept too (up to the line bound): `-o json` prints one multi-line document.
 */
class GeminiEvents implements EventParser {
  private recognised = false;
  private model: string | undefined;
  private sessionId: string | undefined;
  private readonly text: ByteText;
  private result: JsonObject | undefined;
  private resultError: ParsedOutput['error'];
  private streamError: string | undefined;
  private rawParts: Buffer[] | undefined = [];
  private rawBytes = 0;
  private finished: ParsedOutput | undefined;

  constructor(
    maxBytes: number,
    private readonly maxRawBytes: number,
  ) {
    this.text = new ByteText(maxBytes);
  }

  raw(chunk: Buffer): void {
    if (!this.rawParts) return;
    this.rawBytes += chunk.length;
    if (this.rawBytes > this.maxRawBytes) this.rawParts = undefined;
    else this.rawParts.push(Buffer.from(chunk));
  }

  take(ev: JsonObject, values: LineValues): void {
    this.rawParts = undefined; // JSONL, not one document
    if (ev.type === 'init') {
      this.recognised = true;
      const m = str(ev.model);
      this.model = m && m !== 'auto' ? m : undefined;
      this.sessionId = str(ev.session_id);
    } else if (ev.type === 'message') {
      this.recognised = true;
      if (ev.role === 'assistant') this.text.append(values.text(ev.content) ?? '');
    } else if (ev.type === 'result') {
      this.recognised = true;
      this.result = ev;
      // Read now: a long message is readable only while its line is being handled.
      this.resultError =
        ev.status === 'error' ? (errorOf(ev.error, values) ?? { message: 'error' }) : undefined;
    } else if (ev.type === 'error') {
      this.recognised = true;
      if (ev.severity === 'error') this.streamError = values.str(ev.message) ?? 'error';
    }
  }

  answerBytes(): number {
    return this.text.seenBytes;
  }

  finish(): ParsedOutput {
    this.finished ??= this.read();
    return this.finished;
  }

  /** The result; the answer's bytes are let go as they are decoded. */
  private read(): ParsedOutput {
    const single = this.rawParts && parseJsonShape(Buffer.concat(this.rawParts).toString('utf8'));
    if (single) return single;
    if (!this.recognised) throw outputInvalid('gemini');
    const { result, streamError } = this;
    let error = this.resultError;
    if (!result && streamError)
      error = compact({ message: streamError, status: statusFromMessage(streamError) });
    return compact({
      text: error ? '' : this.text.drain(),
      model: this.model,
      usage: streamUsage(obj(result?.stats)),
      sessionId: this.sessionId,
      error,
    });
  }
}

const openParser = (limits: StreamLimits): OutputParser =>
  streamParser(
    new GeminiEvents(limits.maxAnswerBytes, limits.maxLineBytes ?? lineBoundFor(limits.maxAnswerBytes)),
    limits,
  );

/**
 * What gemini 0.61 reads from the env for its auth modes (API key, Vertex AI, Code Assist) and endpoints; other
 * GOOGLE_* values (GOOGLE_CLIENT_SECRET and the like) belong to other programs and stay with the server.
 */
export const GEMINI_ENV: readonly string[] = Object.freeze([
  'GEMINI_*',
  'GOOGLE_API_KEY',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'GOOGLE_CLOUD_ACCESS_TOKEN',
  'GOOGLE_CLOUD_LOCATION',
  'GOOGLE_CLOUD_PROJECT',
  'GOOGLE_CLOUD_PROJECT_ID',
  'GOOGLE_CLOUD_QUOTA_PROJECT',
  'GOOGLE_CLOUD_REGION',
  'GOOGLE_CLOUD_UNIVERSE_DOMAIN',
  'GOOGLE_GEMINI_BASE_URL',
  'GOOGLE_GENAI_API_VERSION',
  'GOOGLE_GENAI_USE_GCA',
  'GOOGLE_GENAI_USE_VERTEXAI',
  'GOOGLE_VERTEX_BASE_URL',
  'GCLOUD_PROJECT',
  'CLOUDSDK_CONFIG',
]);

const GEMINI_FIX = 'run `gemini` in a terminal and choose "Login with Google", or set GEMINI_API_KEY';
/** The auth type Gemini CLI 0.61 picks from env when settings name none (its getAuthTypeFromEnv). */
function geminiTypeFromEnv(env: Readonly<Record<string, string>>): string | undefined {
  if (env.GOOGLE_GENAI_USE_GCA === 'true') return 'oauth-personal';
  if (env.GOOGLE_GENAI_USE_VERTEXAI === 'true') return 'vertex-ai';
  if (env.GOOGLE_GEMINI_BASE_URL) return 'gateway';
  if (env.GEMINI_API_KEY) return 'gemini-api-key';
  if (env.CLOUD_SHELL === 'true' || env.GEMINI_CLI_USE_COMPUTE_ADC === 'true')
    return 'compute-default-credentials';
  return undefined;
}

/** Gemini CLI loads GEMINI_API_KEY from ~/.gemini/.env or ~/.env too; only the name is looked for. */
function geminiKeyInDotEnv(home: string): boolean {
  return [join(home, '.gemini', '.env'), join(home, '.env')].some((file) =>
    /^\s*(?:export\s+)?GEMINI_API_KEY\s*=\s*\S/m.test(readText(file) ?? ''),
  );
}

/**
 * Gemini CLI 0.61 has no status command. It takes `security.auth.selectedType` from ~/.gemini/settings.json, else
 * a type from env; "Login with Google" keeps its tokens in ~/.gemini/oauth_creds.json (or gemini-credentials.json
 * with encrypted storage). Headless, a missing login exits 41 ("Manual authorization is required"), no browser.
 */
function geminiFromFiles(env: Readonly<Record<string, string>>): LoginVerdict {
  const home = env.GEMINI_CLI_HOME || env.HOME;
  if (!home) return unknown('HOME is not set, so the Gemini settings cannot be found');
  const dir = join(home, '.gemini');
  const settingsText = readText(join(dir, 'settings.json'));
  let selected: unknown;
  if (settingsText !== undefined) {
    try {
      const settings = JSON.parse(settingsText) as { security?: { auth?: { selectedType?: unknown } } };
      selected = settings.security?.auth?.selectedType;
    } catch {
      return unknown('~/.gemini/settings.json is not plain JSON; run `gemini` to check the login');
    }
  }
  const type = typeof selected === 'string' ? selected : geminiTypeFromEnv(env);
  const savedTokens = exists(join(dir, 'oauth_creds.json')) || exists(join(dir, 'gemini-credentials.json'));
  switch (type) {
    case undefined:
      return no(GEMINI_FIX);
    case 'oauth-personal':
      return savedTokens ? yes('Google account') : no(GEMINI_FIX);
    case 'gemini-api-key':
      if (env.GEMINI_API_KEY || geminiKeyInDotEnv(home)) return yes('API key (GEMINI_API_KEY)');
      if (savedTokens) return yes('API key (saved by gemini)');
      return unknown(
        'no GEMINI_API_KEY; a key saved in the system keychain cannot be checked without a call',
      );
    case 'vertex-ai':
      return (env.GOOGLE_CLOUD_PROJECT && env.GOOGLE_CLOUD_LOCATION) || env.GOOGLE_API_KEY
        ? yes('Vertex AI')
        : no('set GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION (or GOOGLE_API_KEY) for Vertex AI');
    case 'gateway':
      return unknown('a custom endpoint: its credentials are checked by the first critique', 'gateway');
    case 'compute-default-credentials':
      return unknown('Application Default Credentials are checked by the first critique', 'compute ADC');
    default:
      return no(`~/.gemini/settings.json selects an unknown login type; ${GEMINI_FIX}`);
  }
}

/** gemini stream-json: assistant message deltas are text; tool_use events name the tool. */
function geminiEvents(critic: string, line: JsonObject): StreamEvent[] {
  if (line.type === 'message' && line.role === 'assistant') {
    return [{ kind: 'text', critic, chars: str(line.content)?.length ?? 0 }];
  }
  if (line.type === 'tool_use') return [{ kind: 'tool', critic, name: str(line.tool_name) ?? 'tool' }];
  return [];
}

const geminiProgress: ProgressReader = { toolHint: '"tool_use"', extract: geminiEvents };

export const geminiAdapter: CriticAdapter = defineAdapter({
  name: 'gemini',
  options: GEMINI_OPTIONS,
  settings: (config) => ({
    binary: config.geminiBin,
    model: config.geminiModel || undefined,
    baseUrl: config.geminiBaseUrl || undefined,
    invocation: {
      trustWorkspace: config.geminiTrustWorkspace,
      ...(config.geminiSystemDefaultsPath
        ? { geminiSystemDefaultsPath: config.geminiSystemDefaultsPath }
        : {}),
    },
  }),
  configPaths: (env) => {
    const home = absolutePath(env.HOME);
    // gemini's system-defaults file (trust and workspace `.env` off) must be there, or gemini skips it and exits 55.
    const defaults = absolutePath(env.GEMINI_CLI_SYSTEM_DEFAULTS_PATH);
    const readOnly = [...googleKeyFile(env), ...(defaults ? [defaults] : [])];
    return { writable: home ? [join(home, '.gemini')] : [], readOnly };
  },
  login: { fromFiles: geminiFromFiles },
  progress: geminiProgress,
  doctorWarnings: (config) => {
    // Gemini skips a system-defaults file that is not root-owned and locked down; then no filesystem target runs.
    if (config.geminiTrustWorkspace) return [];
    const path = config.geminiSystemDefaultsPath || GEMINI_SYSTEM_DEFAULTS_PATH;
    if (geminiReadsSystemFile(path)) return [];
    return [
      `gemini skips its system defaults ${path} (it and every folder above it must be root-owned and ` +
        'not group/world-writable): codebase targets fail WORKSPACE_UNTRUSTED. Copy it to a root-owned place and set ' +
        'BRUTALIST_GEMINI_SYSTEM_DEFAULTS_PATH (docs/security.md).',
    ];
  },
  envAllowlist: () => GEMINI_ENV,
  buildInvocation,
  openParser,
  classifyFailure,
});
