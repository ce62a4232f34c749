/**
 * The Antigravity CLI adapter: `agy --print` in plan mode and its sandbox, run under a pseudo-terminal (it may print
 * nothing to a pipe), the prompt in argv or, when too long for argv, in a private file it is told to read.
 */
import { closeSync, constants, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { int, str as strOption } from '../config/spec.js';
import { BrutalistError } from '../errors/index.js';
import { resolveExecutable } from '../process/index.js';
import { AgyTerminalText } from './agy-output.js';
import { classifyRun, parseSemver } from './classify.js';
import { absolutePath, defineAdapter } from './define-adapter.js';
import { type LoginVerdict, no, unknown, yes } from './login-checks.js';
import type { StreamLimits } from './stream.js';
import type { CriticAdapter, CriticRequest, InvocationOptions, Launch } from './types.js';

/** The kernel's cap on one argv string (MAX_ARG_STRLEN, 32 pages of 4 KiB), terminating NUL included. */
const ARGV_STRING_MAX_BYTES = 128 * 1024;

/** agy's options: its executable, default model label, the Python that gives it a terminal, the argv bound. */
export const AGY_OPTIONS = {
  agyBin: strOption(
    'BRUTALIST_AGY_BIN',
    'agy',
    "Antigravity CLI executable (name on PATH or absolute path). When the name finds the Antigravity IDE's launcher instead, ~/.local/bin/agy (where the CLI's installer puts it) is used and doctor says so.",
  ),
  agyModel: strOption(
    'BRUTALIST_AGY_MODEL',
    '',
    'Default model for agy, as the label agy shows (e.g. `Gemini 3.1 Pro (High)`); empty: the CLI default.',
  ),
  agyPythonBin: strOption(
    'BRUTALIST_AGY_PYTHON_BIN',
    'python3',
    'Python 3 that runs agy under a pseudo-terminal (assets/agy/pty-run.py; agy may print nothing to a pipe). Name on PATH or absolute path.',
  ),
  agyMaxArgvPromptBytes: int(
    'BRUTALIST_AGY_MAX_ARGV_PROMPT_BYTES',
    100 * 1024,
    1024,
    ARGV_STRING_MAX_BYTES - 1,
    'Largest prompt (UTF-8 bytes) handed to agy in argv, where the kernel takes at most 128 KiB per argument; a longer one goes in a 0600 file in a private 0700 folder outside the target, which agy is told to read.',
  ),
} as const;

/** The pty wrapper shipped with the package. */
export const AGY_PTY_WRAPPER_PATH = fileURLToPath(new URL('../../assets/agy/pty-run.py', import.meta.url));

/**
 * The most restrictive run agy offers: plan mode (it plans, it does not edit or run commands without approval,
 * and in print mode nobody approves) and its sandbox (writes go to its scratch folder, not the working directory).
 * Slash commands are off so a prompt starting with `/` is text. Never --dangerously-skip-permissions.
 */
export const AGY_RESTRICTIVE_ARGS: readonly string[] = Object.freeze([
  '--mode',
  'plan',
  '--sandbox',
  '--disable-slash-commands',
]);

/**
 * agy's models are labels with spaces and parentheses ("Gemini 3.5 Flash (Medium)"): letters, digits, spaces and
 * . _ ( ) : / + -, starting with a letter or digit (never read as an option), no doubled or trailing space.
 */
const AGY_MODEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._()/:+-]| (?! |$)){0,127}$/;

const acceptsModel = (model: string): boolean => AGY_MODEL_RE.test(model);

/** The prompt file a long prompt goes in; its folder is added with --add-dir so agy may read it. */
export const AGY_PROMPT_FILE = 'brutalist-prompt.md';

/** The short argv prompt that points agy at the file holding the real one. */
export function filePrompt(path: string, bytes: number): string {
  return [
    `Your complete instructions are in the file ${path} (${bytes} bytes; it is outside the folder you review).`,
    'Read that whole file first with your file-reading tool, then do exactly what it asks.',
    'It is the prompt you answer, not material under review.',
  ].join(' ');
}

/** Writes `text` to `dir/name`, created here (never following a symlink, never reusing a file), mode 0600. */
function writeExclusive(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fd = openSync(path, flags, 0o600);
  try {
    const bytes = Buffer.from(text, 'utf8');
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
  } finally {
    closeSync(fd);
  }
  return path;
}

function buildInvocation(request: CriticRequest, model: string | undefined, options: InvocationOptions = {}) {
  if (model !== undefined && model !== '' && !acceptsModel(model)) {
    throw new BrutalistError(
      'INVALID_ARGUMENT',
      'model must be an agy model label: letters, digits, single spaces and . _ ( ) : / + -, starting with a letter or digit',
      { data: { argument: 'model' } },
    );
  }
  const head = [...AGY_RESTRICTIVE_ARGS, ...(model ? ['--model', model] : [])];
  const env = { AGY_CLI_DISABLE_AUTO_UPDATE: '1', NO_COLOR: '1', TERM: 'dumb' };
  const bytes = Buffer.byteLength(request.prompt, 'utf8');
  const limit = Math.min(
    options.maxArgvPromptBytes ?? AGY_OPTIONS.agyMaxArgvPromptBytes.default,
    ARGV_STRING_MAX_BYTES - 1,
  );
  // A prompt never starts like an option; ours start with the persona, this only keeps it that way.
  const argvPrompt = (text: string) => (text.startsWith('-') ? `\n${text}` : text);
  if (bytes <= limit || !options.scratchDir) {
    return {
      args: [...head, '--print', argvPrompt(request.prompt)],
      shownArgs: [...head, '--print', '<prompt>'],
      env,
      stdin: '',
    };
  }
  const dir = options.scratchDir();
  const path = writeExclusive(dir, AGY_PROMPT_FILE, request.prompt);
  return {
    args: [...head, '--add-dir', dir, '--print', filePrompt(path, bytes)],
    shownArgs: [...head, '--add-dir', '<prompt dir>', '--print', `<prompt in a ${bytes}-byte file>`],
    env,
    stdin: '',
    readOnlyPaths: [dir],
  };
}

/** A native executable (ELF or Mach-O) rather than a script: the CLI is a Go binary, the IDE's launcher a script. */
function isNative(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    const magic = head.readUInt32BE(0);
    return (
      magic === 0x7f454c46 || [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)
    );
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The Antigravity IDE's `agy`: a script that starts the IDE's Electron (it has no print mode). */
export function isIdeLauncher(path: string): boolean {
  if (isNative(path)) return false;
  if (/\/resources\/app\/bin\//.test(path)) return true;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(8 * 1024);
    const n = readSync(fd, head, 0, head.length, 0);
    return /ELECTRON_RUN_AS_NODE|Antigravity\.app|resources\/app/.test(
      head.subarray(0, n).toString('latin1'),
    );
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const INSTALL_HINT =
  'install the Antigravity CLI (curl -fsSL https://antigravity.google/cli/install.sh | bash) or set agyBin';

/** The configured binary, or the installer's ~/.local/bin/agy when the name found the IDE's launcher first. */
async function locate(configured: string, env: NodeJS.ProcessEnv): Promise<{ path?: string; note?: string }> {
  const found = await resolveExecutable(configured, env.PATH);
  if (found === undefined || !isIdeLauncher(found)) return found === undefined ? {} : { path: found };
  const home = absolutePath(env.HOME);
  if (!isAbsolute(configured) && home) {
    const installed = await resolveExecutable(join(home, '.local', 'bin', configured), undefined);
    if (installed && !isIdeLauncher(installed)) {
      return {
        path: installed,
        note: `the agy first on PATH (${found}) is the Antigravity IDE's launcher; using the Antigravity CLI at ${installed}`,
      };
    }
  }
  return {
    note: `the agy found (${found}) is the Antigravity IDE's launcher, not the Antigravity CLI: ${INSTALL_HINT}`,
  };
}

/** agy under the pty wrapper: `python3 -I pty-run.py GRACE_MS AGY ARGS...`. */
async function launch(
  pythonBin: string,
  binary: string,
  args: readonly string[],
  graceMs: number,
  pathValue: string | undefined,
): Promise<Launch> {
  const python = await resolveExecutable(pythonBin, pathValue);
  if (python === undefined) {
    throw new BrutalistError(
      'CLI_NOT_FOUND',
      'agy: Python 3 (agyPythonBin), which gives agy a terminal, was not found.',
      {
        data: { critic: 'agy', exitClass: 'not_found' },
      },
    );
  }
  // The wrapper escalates to SIGKILL at half the runner's grace, so agy is gone before the runner kills the wrapper.
  const wrapperGraceMs = Math.max(1, Math.floor(graceMs / 2));
  return {
    command: python,
    args: ['-I', AGY_PTY_WRAPPER_PATH, String(wrapperGraceMs), binary, ...args],
    readOnly: [dirname(AGY_PTY_WRAPPER_PATH)],
  };
}

const AGY_FIX = 'run `agy` once in a terminal and sign in with Google (the CLI, not the Antigravity IDE)';

/**
 * agy signs in with Google (OAuth, no API key) and keeps its data under ~/.gemini/antigravity-cli/. There is no
 * status command: no folder means never signed in; a saved credential file there means signed in; otherwise the
 * sign-in may sit in the system keyring, which only a critique can tell (AUTH_REQUIRED when it is gone).
 */
function agyFromFiles(env: Readonly<Record<string, string>>): LoginVerdict {
  const home = absolutePath(env.HOME);
  if (!home) return unknown('HOME is not set, so the agy data folder cannot be found');
  const dir = join(home, '.gemini', 'antigravity-cli');
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return no(AGY_FIX);
  }
  const saved = entries.some((name) => {
    if (!/oauth|token|credential|account/i.test(name)) return false;
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    return st?.isFile() === true && st.size > 0;
  });
  if (saved) return yes('Google account (sign-in saved by agy)');
  return unknown(
    'agy keeps no sign-in file here (it may use the system keyring); the first critique tells',
    'Google account',
  );
}

export const agyAdapter: CriticAdapter = defineAdapter({
  name: 'agy',
  options: AGY_OPTIONS,
  settings: (config) => ({
    binary: config.agyBin,
    model: config.agyModel || undefined,
    baseUrl: undefined,
    invocation: { maxArgvPromptBytes: config.agyMaxArgvPromptBytes },
  }),
  // Plan mode and --sandbox are agy's own promises, which this server cannot check: it runs only when named.
  readOnly: false,
  acceptsModel,
  configPaths: (env) => {
    const home = absolutePath(env.HOME);
    return { writable: home ? [join(home, '.gemini', 'antigravity-cli')] : [], readOnly: [] };
  },
  login: { fromFiles: agyFromFiles },
  progress: { toolHint: undefined, extract: () => [] },
  // OAuth only: its login reaches it through HOME (and the session keyring); nothing else of the server's env.
  envAllowlist: () => ['AGY_CLI_*', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR'],
  buildInvocation,
  openParser: (limits: StreamLimits) => new AgyTerminalText(limits),
  parseVersion: (stdout) => parseSemver(AgyTerminalText.clean(stdout)),
  classifyFailure: (run, parsed) => classifyRun(run, parsed),
  locate,
  launch: (config, binary, args, graceMs, pathValue) =>
    launch(config.agyPythonBin, binary, args, graceMs, pathValue),
});
