/** Resolving a configured executable to one absolute path, from absolute PATH entries only (never the cwd). */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * The absolute entries of a PATH value, in order, without duplicates. Empty, `.` and other relative entries
 * are dropped: the kernel resolves them against the cwd, and a critic's cwd is a repository someone else wrote,
 * so such an entry would let an executable planted there run in place of the real one.
 */
export function absolutePathEntries(pathValue: string | undefined): string[] {
  const out: string[] = [];
  for (const entry of (pathValue ?? '').split(delimiter)) {
    if (entry.length === 0 || !isAbsolute(entry) || out.includes(entry)) continue;
    out.push(entry);
  }
  return out;
}

/** Whether `path` is a regular file (after symlinks) that this process may execute. */
async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path to spawn for `configured`: itself when it is an absolute path to an executable file, else
 * the first executable named `configured` in an absolute entry of `pathValue`. Undefined when there is none,
 * and for relative paths with a separator (`./claude`, `bin/claude`): those name a file relative to the cwd.
 */
export async function resolveExecutable(
  configured: string,
  pathValue: string | undefined,
): Promise<string | undefined> {
  if (configured.length === 0 || configured.includes('\0')) return undefined;
  if (isAbsolute(configured)) return (await isExecutableFile(configured)) ? configured : undefined;
  if (configured.includes('/') || configured.includes('\\')) return undefined;
  for (const dir of absolutePathEntries(pathValue)) {
    const candidate = join(dir, configured);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
