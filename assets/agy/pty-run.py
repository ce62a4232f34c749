"""Runs one CLI under a pseudo-terminal for brutalist-mcp (agy prints nothing when its stdout is a pipe).

Usage: python3 -I pty-run.py GRACE_MS COMMAND [ARG...]     (COMMAND: an absolute path; no shell, argv as given)

- The CLI's stdin and stdout are the slave side of a new pty; its stderr stays ours (the runner's pipe). It runs in
  a new session with the pty as its controlling terminal, as it would in a terminal.
- What the CLI writes to the terminal is copied to our stdout unchanged (the adapter strips terminal control).
- SIGTERM, SIGINT and SIGHUP sent to us are passed to the CLI's process group; whatever is left of that group
  GRACE_MS later gets SIGKILL. When the CLI exits, what is left of its process group is killed too.
- If we die, even by SIGKILL, the kernel kills the CLI (PR_SET_PDEATHSIG), and our closed pty master hangs up its
  session: a deadline, a cancellation or a failed cwd check reaches the CLI through us.
- Exit status: the CLI's exit code, or 128 + the signal that ended it; 127 with one line on stderr when it could
  not be started (E2BIG: an argument longer than the kernel takes, ENOENT, EACCES).
"""

import ctypes
import errno
import fcntl
import os
import select
import signal
import struct
import sys
import termios

PR_SET_PDEATHSIG = 1
# Wide enough that no answer line is wrapped by the terminal.
WINDOW = struct.pack("HHHH", 50, 1000, 0, 0)
CHUNK = 64 * 1024


def start(argv, parent):
    """Forks the CLI on a new pty; returns (pid, master fd). Exits 127 when exec fails."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, WINDOW)
    report_r, report_w = os.pipe()  # both close-on-exec: EOF means exec succeeded
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.close(report_r)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            os.dup2(slave, 0)
            os.dup2(slave, 1)
            if slave > 2:
                os.close(slave)
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:  # the wrapper died before prctl took effect
                os._exit(127)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
                signal.signal(sig, signal.SIG_DFL)
            os.execv(argv[0], argv)
        except OSError as err:
            os.write(report_w, str(err.errno or errno.EIO).encode())
        os._exit(127)
    os.close(slave)
    os.close(report_w)
    failed = os.read(report_r, 32)
    os.close(report_r)
    if failed:
        code = int(failed)
        os.waitpid(pid, 0)
        sys.stderr.write(f"pty-run: cannot start the CLI: {os.strerror(code)} ({errno.errorcode.get(code, code)})\n")
        sys.exit(127)
    return pid, master


def kill_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def main():
    if len(sys.argv) < 3 or not sys.argv[1].isdigit() or not os.path.isabs(sys.argv[2]):
        sys.stderr.write("usage: pty-run.py GRACE_MS /absolute/command [ARG...]\n")
        return 2
    grace_s = max(int(sys.argv[1]), 1) / 1000.0
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    pid, master = start(sys.argv[2:], os.getpid())

    def forward(sig, _frame):
        kill_group(pid, sig)
        if signal.getitimer(signal.ITIMER_REAL)[0] == 0:
            signal.setitimer(signal.ITIMER_REAL, grace_s)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    signal.signal(signal.SIGALRM, lambda *_: kill_group(pid, signal.SIGKILL))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)

    status = None
    out = sys.stdout.buffer
    while True:
        # Once the CLI has exited, only what is already queued on the pty is read (no waiting).
        ready, _, _ = select.select([master, wake_r], [], [], None if status is None else 0)
        if wake_r in ready:
            try:
                os.read(wake_r, 512)
            except BlockingIOError:
                pass
        if master in ready:
            try:
                data = os.read(master, CHUNK)
            except OSError as err:
                if err.errno != errno.EIO:  # EIO: every slave side is closed
                    raise
                data = b""
            if not data:
                break
            out.write(data)
            out.flush()
            continue
        if status is None:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = raw
                # Whatever the CLI left in its group (an updater, a helper) ends with it.
                kill_group(pid, signal.SIGKILL)
        elif master not in ready:
            break
    if status is None:
        _, status = os.waitpid(pid, 0)
        kill_group(pid, signal.SIGKILL)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
