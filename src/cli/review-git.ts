/** The change under review: git run as a bounded child process, refs checked, the diff read and its hunks mapped. */
import { BrutalistError } from '../errors/index.js';
import { buildChildEnv, directLaunch, resolveExecutable, runProcess } from '../process/index.js';

export interface GitLimits {
  readonly maxOutputBytes: number;
  readonly timeoutMs: number;
  readonly killGraceMs: number;
}

/** New-side lines (first, last) of one hunk: the lines a pull-request comment may sit on. */
export type LineRange = readonly [first: number, last: number];

export interface ChangedFile {
  /** Path relative to the repository root, as git prints it (new name for a rename). */
  readonly path: string;
  readonly deleted: boolean;
  readonly ranges: readonly LineRange[];
}

export interface Change {
  /** The work tree's root (absolute): the critics' target. */
  readonly root: string;
  readonly base: { readonly ref: string; readonly sha: string };
  readonly head: { readonly ref: string; readonly sha: string };
  /** What the diff starts from: the merge base of base and head (the pull request's own diff), else base. */
  readonly from: string;
  readonly diff: string;
  /** git printed more than maxOutputBytes: the diff (and `files`) end early. */
  readonly diffCut: boolean;
  readonly files: readonly ChangedFile[];
}

interface GitOutput {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly cut: boolean;
}

const NOT_A_REPO = /not a git repository/i;

/** Runs git in `cwd`; a missing git, a timeout or a signal is GIT_FAILED; a plain non-zero exit is returned. */
async function git(cwd: string, args: readonly string[], limits: GitLimits): Promise<GitOutput> {
  const command = await resolveExecutable('git', process.env.PATH);
  if (!command) throw new BrutalistError('GIT_FAILED', 'git is not installed (not found on PATH).');
  // No pager, no prompt, no colour, stable messages; the user's config (aliases, diff drivers) is bypassed by
  // the flags each call passes.
  const env = buildChildEnv(process.env, {
    set: { GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' },
  });
  const result = await runProcess({
    command,
    args,
    cwd,
    env,
    timeoutMs: limits.timeoutMs,
    stallTimeoutMs: limits.timeoutMs,
    killGraceMs: limits.killGraceMs,
    maxOutputBytes: limits.maxOutputBytes,
    maxStderrBytes: 4096,
    launch: directLaunch,
  });
  const stdout = result.stdout.toString('utf8');
  switch (result.exit.kind) {
    case 'ok':
      return { ok: true, stdout, stderr: result.stderrTail, cut: false };
    case 'exit':
      return { ok: false, stdout, stderr: result.stderrTail, cut: false };
    case 'output_cap':
      return { ok: true, stdout, stderr: result.stderrTail, cut: true };
    case 'not_found':
      throw new BrutalistError('GIT_FAILED', 'git is not installed (not found on PATH).');
    case 'cwd_missing':
      throw new BrutalistError('GIT_REPO_NOT_FOUND');
    default:
      throw new BrutalistError('GIT_FAILED', `git ${args[0] ?? ''} did not finish (${result.exit.kind}).`, {
        data: { exitClass: result.exit.kind },
      });
  }
}

/** The work tree root containing `cwd`. */
export async function repositoryRoot(cwd: string, limits: GitLimits): Promise<string> {
  const out = await git(cwd, ['rev-parse', '--show-toplevel'], limits);
  const root = out.stdout.trim();
  if (!out.ok || root === '') {
    // A failure other than "not a git repository" (e.g. git's "dubious ownership" refusal) keeps git's message.
    if (out.ok || NOT_A_REPO.test(out.stderr)) throw new BrutalistError('GIT_REPO_NOT_FOUND');
    throw new BrutalistError('GIT_FAILED', 'git rev-parse failed.', { data: { detail: out.stderr.trim() } });
  }
  return root;
}

/** The commit a --base/--head revision names; anything else (unknown, ambiguous, not a commit) is GIT_REF_INVALID. */
export async function resolveCommit(
  root: string,
  ref: string,
  option: '--base' | '--head',
  limits: GitLimits,
): Promise<string> {
  // `--end-of-options` keeps a revision that starts with "-" from being read as a git option.
  const out = await git(
    root,
    ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`],
    limits,
  );
  const sha = out.stdout.trim();
  if (!out.ok || !/^[0-9a-f]{40,64}$/.test(sha)) {
    const shown = ref.length > 100 ? `${ref.slice(0, 100)}…` : ref;
    throw new BrutalistError(
      'GIT_REF_INVALID',
      `${option} ${JSON.stringify(shown)} does not name a commit in this repository (in CI, fetch it first: ` +
        'actions/checkout with fetch-depth: 0).',
      { data: { argument: option } },
    );
  }
  return sha;
}

/** Reads the change from the merge base of `base` and `head` to `head` (committed changes only). */
export async function readChange(
  cwd: string,
  refs: { readonly base: string; readonly head: string },
  limits: GitLimits,
): Promise<Change> {
  const root = await repositoryRoot(cwd, limits);
  const baseSha = await resolveCommit(root, refs.base, '--base', limits);
  const headSha = await resolveCommit(root, refs.head, '--head', limits);
  const mergeBase = await git(root, ['merge-base', baseSha, headSha], limits);
  // Unrelated histories have no merge base: compare the two trees directly.
  const from = mergeBase.ok && mergeBase.stdout.trim() !== '' ? mergeBase.stdout.trim() : baseSha;
  const out = await git(
    root,
    [
      '-c',
      'core.quotePath=false',
      'diff',
      '--no-color',
      '--no-ext-diff',
      '--no-textconv',
      '--find-renames',
      '--unified=3',
      '--src-prefix=a/',
      '--dst-prefix=b/',
      from,
      headSha,
      '--',
    ],
    limits,
  );
  if (!out.ok) {
    throw new BrutalistError('GIT_FAILED', 'git diff failed.', { data: { detail: out.stderr.trim() } });
  }
  return {
    root,
    base: { ref: refs.base, sha: baseSha },
    head: { ref: refs.head, sha: headSha },
    from,
    diff: out.stdout,
    diffCut: out.cut,
    files: changedFiles(out.stdout),
  };
}

const HUNK = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/;

/** A path from a `+++ b/…` / `--- a/…` line; git quotes unusual names ("b/…" with C escapes). */
function headerPath(raw: string): string | null {
  const value = raw.trimEnd();
  if (value === '/dev/null') return null;
  const unquoted = value.startsWith('"') && value.endsWith('"') ? unquote(value.slice(1, -1)) : value;
  return unquoted.replace(/^[ab]\//, '');
}

function unquote(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch !== '\\') {
      bytes.push(...Buffer.from(ch, 'utf8'));
      continue;
    }
    const next = text.slice(i + 1, i + 4);
    if (/^[0-7]{3}$/.test(next)) {
      bytes.push(Number.parseInt(next, 8));
      i += 3;
    } else {
      const esc = text[i + 1] ?? '';
      bytes.push(...Buffer.from({ n: '\n', t: '\t', '"': '"', '\\': '\\' }[esc] ?? esc, 'utf8'));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Every file of a unified diff with the new-side line ranges of its hunks. */
export function changedFiles(diff: string): ChangedFile[] {
  const files: { path: string; deleted: boolean; ranges: LineRange[] }[] = [];
  let oldPath: string | null = null;
  let current: (typeof files)[number] | undefined;
  for (const line of diff.split('\n')) {
    if (line.startsWith('diff --git ')) {
      current = undefined;
      oldPath = null;
    } else if (line.startsWith('--- ') && current === undefined) {
      oldPath = headerPath(line.slice(4));
    } else if (line.startsWith('+++ ') && current === undefined) {
      const newPath = headerPath(line.slice(4));
      const path = newPath ?? oldPath;
      if (path === null) continue;
      current = { path, deleted: newPath === null, ranges: [] };
      files.push(current);
    } else if (current !== undefined) {
      const hunk = HUNK.exec(line);
      if (!hunk) continue;
      const start = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      if (count > 0) current.ranges.push([start, start + count - 1]);
    }
  }
  return files;
}

/** The diff as the prompt shows it: whole files while they fit in `maxChars`, then the names of the rest. */
export interface PromptDiff {
  readonly text: string;
  readonly omittedFiles: readonly string[];
  readonly cut: boolean;
}

export function diffForPrompt(diff: string, maxChars: number): PromptDiff {
  if (diff.length <= maxChars) return { text: diff, omittedFiles: [], cut: false };
  const sections = diff.split(/(?=^diff --git )/m);
  let text = '';
  const omitted: string[] = [];
  for (const section of sections) {
    if (omitted.length === 0 && text.length + section.length <= maxChars) {
      text += section;
      continue;
    }
    const name = changedFiles(section)[0]?.path ?? /^diff --git a\/(\S+)/.exec(section)?.[1];
    if (text === '' && omitted.length === 0) {
      // The first file alone is too large: show its head, cut at a line end.
      const head = section.slice(0, maxChars);
      text = head.slice(0, Math.max(head.lastIndexOf('\n') + 1, 0));
    }
    if (name) omitted.push(name);
  }
  return { text, omittedFiles: omitted, cut: true };
}
