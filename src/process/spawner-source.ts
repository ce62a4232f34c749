/**
 * The program the long-lived spawner process runs (`node -` reads it from stdin): it forks critics for the server
 * so the server's heap is never forked, and hands each child's stdio sockets back over the IPC channel.
 *
 * It is plain CommonJS in a string, not a compiled module: it must run the same from dist/ and from src/ under
 * vitest or tsx (no file to resolve, no loader), and it is small enough to read here. docs/adr/0033-spawner.md.
 *
 * Protocol (JSON over Node's IPC channel, in order; a message with a handle holds back later ones until acked):
 *   server → spawner  {t:'spawn', id, command, args, cwd, env, dirFdPath?, info}
 *   spawner → server  {t:'ready'} once, then per id: {t:'failed', id, code} | {t:'spawned', id, pid} followed by
 *                     {t:'fd', id, slot} with the socket of stdio slot 0, 1, 2 (and 4 with `info`), then
 *                     {t:'exit', id, code, signal} when the child is reaped.
 * On disconnect (the server is gone) every group it started is SIGKILLed and the spawner exits: nothing outlives
 * the server through it.
 */
export const SPAWNER_SOURCE = `'use strict';
const { spawn } = require('node:child_process');
const { openSync, closeSync } = require('node:fs');
const live = new Set();
// libuv's stdio pipes are socketpairs, so Node can pass them on. Reading starts when the socket is made; stop it
// before the first poll, or bytes the child writes before the handle is sent would be read here and dropped.
function handOver(id, slot, stream) {
  const handle = stream && stream._handle;
  if (handle && typeof handle.readStop === 'function') handle.readStop();
  process.send({ t: 'fd', id, slot }, stream);
}
function start(m) {
  let dirFd;
  let child;
  try {
    const stdio = ['pipe', 'pipe', 'pipe'];
    if (m.dirFdPath !== undefined) {
      dirFd = openSync(m.dirFdPath, 'r');
      stdio[3] = dirFd;
    }
    if (m.info) stdio[4] = 'pipe';
    child = spawn(m.command, m.args, { cwd: m.cwd, env: m.env, shell: false, detached: true, stdio, windowsHide: true });
  } catch (err) {
    process.send({ t: 'failed', id: m.id, code: (err && err.code) || 'UNKNOWN' });
    return;
  } finally {
    if (dirFd !== undefined) closeSync(dirFd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    child.on('error', (err) => process.send({ t: 'failed', id: m.id, code: (err && err.code) || 'UNKNOWN' }));
    return;
  }
  child.on('error', () => {});
  live.add(pid);
  // Handles after the first wait for the server's ack. Meanwhile the child may exit, and Node then destroys
  // child.stdin and resumes every unread stdio stream (flushStdio): the bytes would be read here and dropped.
  // So the streams are taken off the ChildProcess: from now on only the hand-over holds them.
  const streams = [child.stdin, child.stdout, child.stderr, child.stdio[4]];
  child.stdin = child.stdout = child.stderr = null;
  for (let i = 0; i < child.stdio.length; i++) child.stdio[i] = null;
  process.send({ t: 'spawned', id: m.id, pid });
  handOver(m.id, 0, streams[0]);
  handOver(m.id, 1, streams[1]);
  handOver(m.id, 2, streams[2]);
  if (m.info) handOver(m.id, 4, streams[3]);
  child.on('exit', (code, signal) => {
    live.delete(pid);
    if (process.connected) process.send({ t: 'exit', id: m.id, code, signal });
  });
}
process.on('message', (m) => {
  if (m && m.t === 'spawn') start(m);
});
process.on('disconnect', () => {
  for (const pid of live) {
    try { process.kill(-pid, 'SIGKILL'); } catch {}
  }
  process.exit(0);
});
process.send({ t: 'ready' });
`;
