/**
 * The shape of a login check each adapter declares (a non-interactive status command, or the files and env its CLI
 * reads) and the verdict helpers they share. A check never opens a browser, never calls a model, never returns a
 * secret.
 */
import { readFileSync } from 'node:fs';

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

/** Logged in, by `method`. */
export const yes = (method: string): LoginVerdict => ({ loggedIn: true, method, fix: null });
/** Not logged in; `fix` says how to. */
export const no = (fix: string): LoginVerdict => ({ loggedIn: false, method: null, fix });
/** Cannot tell (`why`) without calling the model. */
export const unknown = (why: string, method: string | null = null): LoginVerdict => ({
  loggedIn: null,
  method,
  fix: why,
});

/** A file's text, or undefined when it cannot be read. */
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether a file can be read. */
export const exists = (path: string): boolean => readText(path) !== undefined;
