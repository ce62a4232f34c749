// Lock races across real processes: two workers × 1,000 acquire/release on one key never overlap.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../support/redis.js';

const run = promisify(execFile);
const WORKER = resolve(import.meta.dirname, '../fixtures/state/lock-worker.ts');
const ROUNDS = 1_000;

interface Report {
  acquired: number;
  overlaps: number;
  increasing: boolean;
}

async function race(backend: 'redis' | 'sqlite', target: string, prefix: string): Promise<Report[]> {
  const one = () =>
    run(process.execPath, ['--import', 'tsx', WORKER, backend, target, prefix, String(ROUNDS)], {
      timeout: 120_000,
    }).then(({ stdout }) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Report);
  return Promise.all([one(), one()]);
}

const prefix = uniquePrefix('locks');
const dir = mkdtempSync(join(tmpdir(), 'brutalist-locks-'));
afterAll(async () => {
  await deletePrefix(SHARED_REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('lock races between two processes', () => {
  for (const [backend, target] of [
    ['redis', SHARED_REDIS_URL],
    ['sqlite', dir],
  ] as const) {
    it(`${backend}: 2 × ${ROUNDS} acquire/release on one key, never two holders, fences always growing`, async () => {
      const reports = await race(backend, target, prefix);
      for (const r of reports) {
        expect(r.acquired).toBe(ROUNDS);
        expect(r.overlaps).toBe(0);
        expect(r.increasing).toBe(true);
      }
    }, 150_000);
  }
});
