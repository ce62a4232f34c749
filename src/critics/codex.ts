/** The Codex adapter: sandboxed read-only `codex exec --json` invocation and its JSONL events. */

import { dirname, join, resolve } from 'node:path';
import { str as strOption, url } from '../config/spec.js';
import type { StreamEvent } from '../streaming/index.js';
import { ByteText } from './byte-text.js';
import { outputInvalid, statusFromMessage } from './classify.js';
import { absolutePath, defineAdapter, modelArgs, tokenUsage } from './define-adapter.js';
import { codexEvidenceArgs } from './evidence.js';
import { compact, type JsonObject, num, obj, str } from './jsonl.js';
import type { LineValues } from './line-scanner.js';
import { type LoginVerdict, no, type StatusOutput, unknown, yes } from './login-checks.js';
import { type EventParser, type OutputParser, type StreamLimits, streamParser } from './stream.js';
import type { CriticAdapter, ParsedOutput, ProgressReader, TokenUsage } from './types.js';

/** codex's options: its executable, default model and API endpoint. */
export const CODEX_OPTIONS = {
  codexBin: strOption('BRUTALIST_CODEX_BIN', 'codex', 'Codex executable (name on PATH or absolute path).'),
  codexModel: strOption('BRUTALIST_CODEX_MODEL', '', 'Default model for codex (empty: the CLI default).'),
  codexBaseUrl: url(
    'BRUTALIST_CODEX_BASE_URL',
    'OpenAI Responses API base URL for codex, incl. `/v1` (a custom `brutalist` provider keyed by OPENAI_API_KEY); empty: the CLI default.',
  ),
} as const;

/** The model provider id our `-c` flags define when codexBaseUrl is set (merges with $CODEX_HOME/config.toml). */
export const CODEX_PROVIDER_ID = 'brutalist';
/** The variable holding the API key for that provider (allowlisted by OPENAI_*). */
export const CODEX_PROVIDER_KEY_ENV = 'OPENAI_API_KEY';

/**
 * Codex ignores OPENAI_BASE_URL; a custom endpoint is a custom provider speaking the Responses API.
 * Retry counts are left to Codex's defaults (or the user's config.toml table of the same id).
 */
function providerArgs(baseUrl: string): string[] {
  const p = `model_providers.${CODEX_PROVIDER_ID}`;
  // JSON string syntax is valid TOML basic-string syntax for a validated URL.
  return [
    `model_provider="${CODEX_PROVIDER_ID}"`,
    `${p}.name="${CODEX_PROVIDER_ID}"`,
    `${p}.base_url=${JSON.stringify(baseUrl)}`,
    `${p}.wire_api="responses"`,
    `${p}.env_key="${CODEX_PROVIDER_KEY_ENV}"`,
  ].flatMap((kv) => ['-c', kv]);
}

/** `dir` and every folder above it, deepest first. */
function selfAndParents(dir: string): string[] {
  const out: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    out.push(d);
    if (dirname(d) === d) return out;
  }
}

/** What the argv reported with a result shows instead of the host paths of the trust override. */
export const CODEX_UNTRUSTED_SHOWN = 'projects={<run dir and parents>={trust_level="untrusted"}}';

/**
 * Codex 0.169 loads a project's `.codex/config.toml` (MCP servers, model, ...), hooks and rules only when the
 * operator's config.toml trusts the run directory or its git root. An explicit "untrusted" for the run directory
 * and every parent (any of them may be the git root) wins over that for this run; the inline-table form merges
 * with the operator's `projects` table and takes paths with dots (a dotted `-c` key would split them).
 */
function untrustedProjects(cwd: string): string {
  const entries = selfAndParents(cwd).map((d) => `${JSON.stringify(d)}={trust_level="untrusted"}`);
  return `projects={${entries.join(',')}}`;
}

const buildInvocation: CriticAdapter['buildInvocation'] = (request, model, options = {}) => {
  const head = [
    'exec',
    '--json',
    '--ephemeral',
    '--skip-git-repo-check',
    '--sandbox',
    'read-only',
    // Execpolicy `.rules` (the project's and the operator's) could pre-approve commands: none are loaded.
    '--ignore-rules',
    '-c',
    'approval_policy="never"',
  ];
  const tail = [
    ...(options.baseUrl ? providerArgs(options.baseUrl) : []),
    // Evidence servers for this run only: a per-run override, merged over the operator's config.toml.
    ...codexEvidenceArgs(options.evidence ?? []),
    ...modelArgs('-m', model),
    // `-` last: the prompt is read from stdin, never from argv.
    '-',
  ];
  if (!options.cwd) return { args: [...head, ...tail], env: {}, stdin: request.prompt };
  return {
    args: [...head, '-c', untrustedProjects(options.cwd), ...tail],
    shownArgs: [...head, '-c', CODEX_UNTRUSTED_SHOWN, ...tail],
    env: {},
    stdin: request.prompt,
  };
};

/** Codex prints this warning item for every custom or unknown model; it is not a failure. */
const HARMLESS_ITEM_ERROR = /^Model metadata/;

/**
 * Text is the agent messages of the last turn. `turn.failed` is authoritative; a bare `error` event
 * counts only when no `turn.completed` follows it (Codex also reports retried stream errors that way).
 */
class CodexEvents implements EventParser {
  private recognised = false;
  private sessionId: string | undefined;
  /** The last turn's agent messages, joined by a blank line, as UTF-8 bytes. */
  private text: ByteText;
  private messages = 0;
  private usage: TokenUsage | undefined;
  private failed: string | undefined;
  private pendingError: string | undefined;
  private itemError: string | undefined;
  private finished: ParsedOutput | undefined;

  constructor(private readonly maxBytes: number) {
    this.text = new ByteText(maxBytes);
  }

  take(ev: JsonObject, values: LineValues): void {
    const type = str(ev.type);
    if (!type) return;
    if (type === 'thread.started') {
      this.recognised = true;
      this.sessionId = str(ev.thread_id);
    } else if (type === 'turn.started') {
      this.recognised = true;
      this.text = new ByteText(this.maxBytes);
      this.messages = 0;
    } else if (type === 'item.completed') {
      this.recognised = true;
      const item = obj(ev.item);
      const itemText = values.text(item?.text);
      if (item?.type === 'agent_message' && itemText && itemText.length > 0) {
        if (this.messages++ > 0) this.text.appendString('\n\n');
        this.text.append(itemText);
      }
      const message = values.str(item?.message);
      if (item?.type === 'error' && message && !HARMLESS_ITEM_ERROR.test(message)) this.itemError = message;
    } else if (type === 'turn.completed') {
      this.recognised = true;
      this.pendingError = undefined;
      this.itemError = undefined;
      // A turn.completed without usage reports none: undefined, not an empty record.
      const usage = obj(ev.usage);
      this.usage = usage ? usageOf(usage) : this.usage;
    } else if (type === 'turn.failed') {
      this.recognised = true;
      this.failed = values.str(obj(ev.error)?.message) ?? 'turn failed';
    } else if (type === 'error') {
      this.recognised = true;
      this.pendingError = values.str(ev.message) ?? 'error';
    }
  }

  answerBytes(): number {
    return this.text.seenBytes;
  }

  finish(): ParsedOutput {
    if (!this.recognised) throw outputInvalid('codex');
    this.finished ??= this.read();
    return this.finished;
  }

  /** The result; the answer's bytes are let go as they are decoded. */
  private read(): ParsedOutput {
    const text = this.text.drain();
    const errorMessage = this.failed ?? this.pendingError ?? (text.length === 0 ? this.itemError : undefined);
    const error = errorMessage
      ? compact({ message: errorMessage, status: statusFromMessage(errorMessage) })
      : undefined;
    return compact({ text: error ? '' : text, usage: this.usage, sessionId: this.sessionId, error });
  }
}

function usageOf(u: JsonObject | undefined): TokenUsage {
  return tokenUsage({
    inputTokens: num(u?.input_tokens),
    outputTokens: num(u?.output_tokens),
    cachedInputTokens: num(u?.cached_input_tokens),
  });
}

const openParser = (limits: StreamLimits): OutputParser =>
  streamParser(new CodexEvents(limits.maxAnswerBytes), limits);

const CODEX_ENV: readonly string[] = Object.freeze(['OPENAI_*', 'CODEX_*', 'AZURE_OPENAI_*']);

const CODEX_FIX = 'run `codex login`, or set CODEX_API_KEY (or OPENAI_API_KEY)';
const CODEX_ENV_KEYS = ['CODEX_API_KEY', 'OPENAI_API_KEY'] as const;

/**
 * `codex login status` (0.169): exit 0 and "Logged in using ChatGPT" / "API key configured - sk-…***…" on stderr;
 * exit 1 "Not logged in". It ignores env keys, which `codex exec` honours (as `codex doctor` reports), so those
 * count too.
 */
function codexStatus(out: StatusOutput, env: Readonly<Record<string, string>>): LoginVerdict {
  if (out.exitCode === 0) {
    const text = `${out.stderr}\n${out.stdout}`;
    const using = /Logged in using ([A-Za-z][A-Za-z ]{0,40})/.exec(text)?.[1]?.trim();
    if (using) return yes(using);
    if (/API key configured/.test(text)) return yes('API key (saved by codex login)');
    return yes('logged in');
  }
  const fromEnv = CODEX_ENV_KEYS.find((name) => (env[name] ?? '') !== '');
  if (fromEnv) return yes(`API key (${fromEnv})`);
  if (/Not logged in/i.test(`${out.stderr}\n${out.stdout}`)) return no(CODEX_FIX);
  return unknown('`codex login status` failed; run it to see');
}

/** codex exec --json: items start and complete; agent messages are text, commands and tool calls are tools. */
function codexEvents(critic: string, line: JsonObject): StreamEvent[] {
  const item = obj(line.item);
  if (!item) return [];
  if (line.type === 'item.completed' && item.type === 'agent_message') {
    return [{ kind: 'text', critic, chars: str(item.text)?.length ?? 0 }];
  }
  if (
    line.type === 'item.started' &&
    typeof item.type === 'string' &&
    item.type !== 'agent_message' &&
    item.type !== 'reasoning'
  ) {
    return [{ kind: 'tool', critic, name: item.type }];
  }
  return [];
}

const codexProgress: ProgressReader = { toolHint: '"item.started"', extract: codexEvents };

export const codexAdapter: CriticAdapter = defineAdapter({
  name: 'codex',
  options: CODEX_OPTIONS,
  settings: (config) => ({
    binary: config.codexBin,
    model: config.codexModel || undefined,
    baseUrl: config.codexBaseUrl || undefined,
  }),
  configPaths: (env) => {
    const home = absolutePath(env.HOME);
    return { writable: home ? [absolutePath(env.CODEX_HOME) ?? join(home, '.codex')] : [], readOnly: [] };
  },
  login: { statusArgs: ['login', 'status'], interpret: codexStatus },
  progress: codexProgress,
  envAllowlist: () => CODEX_ENV,
  buildInvocation,
  openParser,
});
