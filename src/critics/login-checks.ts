/**
 * Per-vendor login knowledge: which non-interactive status command each critic CLI offers (or which files and env
 * it reads), how to read the answer, and the command that fixes a missing login. Never opens a browser, never
 * calls a model, never returns a secret (codex prints a masked key on success: only the phrase before it is kept).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CriticName } from '../config/index.js';

export interface LoginVerdict {
  /** true: credentials are in place; false: none; null: cannot tell without calling the model. */
  readonly loggedIn: boolean | null;
  /** How it is logged in, e.g. "Claude account (max)" or "API key (ANTHROPIC_API_KEY)"; never a secret. */
  readonly method: string | null;
  /** What the user can run or set to log in (when loggedIn is not true), or why it is unknown. */
  readonly fix: string | null;
}

/** What a status command printed: exit code (null: it did not exit normally), stdout and stderr. */
export interface StatusOutput {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface LoginCheck {
  /** argv of the CLI's own status command; absent: decided from files and env alone (see `fromFiles`). */
  readonly statusArgs?: readonly string[];
  /** Reads the status command's output; `env` is the critic's environment (same allowlist as a run). */
  readonly interpret?: (out: StatusOutput, env: Readonly<Record<string, string>>) => LoginVerdict;
  readonly fromFiles?: (env: Readonly<Record<string, string>>) => LoginVerdict;
}

const CLAUDE_FIX = 'run `claude auth login` (or `claude` then /login), or set ANTHROPIC_API_KEY';
const CODEX_FIX = 'run `codex login`, or set CODEX_API_KEY (or OPENAI_API_KEY)';
const GEMINI_FIX = 'run `gemini` in a terminal and choose "Login with Google", or set GEMINI_API_KEY';

const yes = (method: string): LoginVerdict => ({ loggedIn: true, method, fix: null });
const no = (fix: string): LoginVerdict => ({ loggedIn: false, method: null, fix });
const unknown = (why: string, method: string | null = null): LoginVerdict => ({
  loggedIn: null,
  method,
  fix: why,
});

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

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const exists = (path: string) => readText(path) !== undefined;

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

export const LOGIN_CHECKS: Readonly<Record<CriticName, LoginCheck>> = Object.freeze({
  claude: { statusArgs: ['auth', 'status', '--json'], interpret: claudeStatus },
  codex: { statusArgs: ['login', 'status'], interpret: codexStatus },
  gemini: { fromFiles: geminiFromFiles },
});
