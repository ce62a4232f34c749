// The strace reader behind the real-CLI write check: which lines are writes, and where they land.
import { describe, expect, it } from 'vitest';
import { writesOf, writesOutside } from '../support/write-trace.js';

const paths = (line: string) => writesOf(line, 1).map((w) => w.path);

describe('writesOf', () => {
  it.each([
    [
      'openat(AT_FDCWD, "/h/.claude.json", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 3',
      ['/h/.claude.json'],
    ],
    ['openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3', []],
    ['openat(7</h/.codex>, "state.db", O_RDWR|O_CREAT, 0644) = 9', ['/h/.codex/state.db']],
    ['openat(AT_FDCWD, "rel", O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK, 0666) = 3', ['rel']],
    ['mkdir("/h/.gemini/tmp", 0777) = 0', ['/h/.gemini/tmp']],
    ['mkdirat(AT_FDCWD, "/h/x", 0777) = 0', ['/h/x']],
    ['unlinkat(37</h/.codex/.tmp/git-1>, "HEAD", 0) = 0', ['/h/.codex/.tmp/git-1/HEAD']],
    ['renameat2(AT_FDCWD, "/h/a.tmp", AT_FDCWD, "/h/a", RENAME_NOREPLACE) = 0', ['/h/a.tmp', '/h/a']],
    ['rename("/t/a", "/t/b") = 0', ['/t/a', '/t/b']],
    ['symlinkat("f", 3</t/x>, "lnk") = 0', ['/t/x/lnk']],
    ['utimensat(5</t/y>, NULL, NULL, 0) = 0', ['/t/y']],
    ['utimensat(AT_FDCWD, "/t/z", NULL, 0) = 0', ['/t/z']],
    [
      'openat(AT_FDCWD, "/h/sp\\303\\251cial \\"q\\"", O_WRONLY|O_CREAT, 0600) = 4',
      ['/h/sp\u00c3\u00a9cial "q"'],
    ],
    ['+++ exited with 0 +++', []],
  ])('%s', (line, expected) => {
    expect(paths(line)).toEqual(expected);
  });
});

describe('writesOutside', () => {
  it('keeps writes that are neither under an allowed folder nor a harmless device', () => {
    const writes = ['/h/a', '/h', '/hx/b', '/dev/null', '/dev/pts/3', '/dev/shm/x', 'rel', '/t/c'].map(
      (path) => ({
        pid: 1,
        syscall: 'openat',
        path,
        line: '',
      }),
    );
    expect(writesOutside(writes, ['/h', '/t']).map((w) => w.path)).toEqual(['/hx/b', '/dev/shm/x', 'rel']);
  });
});
