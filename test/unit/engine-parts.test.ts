import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import {
  fingerprintTarget,
  ResultPages,
  SingleFlight,
  stableJson,
  surveyTarget,
} from '../../src/engine/index.js';
import { BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import { takeSnapshot } from '../../src/findings/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { currentRequest, runInRequest } from '../../src/observability/index.js';
import { MemoryStateStore } from '../../src/state/index.js';
import { EMPTY_ROAST_META } from '../support/results.js';

const dir = mkdtempSync(join(tmpdir(), 'brutalist-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fingerprintTarget', () => {
  const root = join(dir, 'fp');
  mkdirSync(join(root, 'src'), { recursive: true });
  mkdirSync(join(root, 'node_modules', 'x'), { recursive: true });
  mkdirSync(join(root, '.git'), { recursive: true });
  writeFileSync(join(root, 'src', 'a.ts'), 'a');
  writeFileSync(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');

  it('is stable while nothing changes', async () => {
    expect(await fingerprintTarget(root, 100)).toBe(await fingerprintTarget(root, 100));
  });

  it('changes when a file is edited, added or its commit marker moves', async () => {
    const before = await fingerprintTarget(root, 100);
    writeFileSync(join(root, 'src', 'a.ts'), 'ab');
    const edited = await fingerprintTarget(root, 100);
    expect(edited).not.toBe(before);
    writeFileSync(join(root, 'src', 'b.ts'), 'b');
    const added = await fingerprintTarget(root, 100);
    expect(added).not.toBe(edited);
    utimesSync(join(root, '.git', 'HEAD'), new Date(2030, 0, 1), new Date(2030, 0, 1));
    expect(await fingerprintTarget(root, 100)).not.toBe(added);
  });

  it('ignores vendored directories', async () => {
    const before = await fingerprintTarget(root, 100);
    writeFileSync(join(root, 'node_modules', 'x', 'index.js'), 'x');
    expect(await fingerprintTarget(root, 100)).toBe(before);
  });

  it('gives up (no caching) past maxFiles', async () => {
    expect(await fingerprintTarget(root, 1)).toBeUndefined();
  });

  it('fingerprints a single file by size and mtime', async () => {
    const file = join(root, 'src', 'a.ts');
    const before = await fingerprintTarget(file, 1);
    writeFileSync(file, 'abc');
    expect(await fingerprintTarget(file, 1)).not.toBe(before);
  });
});

describe('surveyTarget (one walk for the fingerprint and the findings snapshot)', () => {
  const root = join(dir, 'survey');
  mkdirSync(join(root, 'src'), { recursive: true });
  mkdirSync(join(root, '.git'), { recursive: true });
  for (const f of ['a.ts', 'b.ts', 'c.ts']) writeFileSync(join(root, 'src', f), f);
  writeFileSync(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  symlinkSync('src/a.ts', join(root, 'link.ts'));
  const bounds = (fingerprintMaxFiles: number, snapshotMaxFiles: number) => ({
    fingerprintMaxFiles,
    snapshotMaxFiles,
  });

  it('gives the fingerprint and the snapshot the two separate walks give', async () => {
    const survey = await surveyTarget(root, bounds(100, 100));
    expect(survey.fingerprint).toBe(await fingerprintTarget(root, 100));
    expect(survey.snapshot).toEqual(await takeSnapshot(root, 100));
    expect([...survey.snapshot!.files.keys()].sort()).toEqual(['src/a.ts', 'src/b.ts', 'src/c.ts']);
  });

  it('keeps each bound on its own: files and links for the fingerprint, regular files for the snapshot', async () => {
    // 3 files + 1 link: the fingerprint needs 4, the snapshot 3.
    const fpOver = await surveyTarget(root, bounds(3, 3));
    expect(fpOver.fingerprint).toBeUndefined();
    expect(fpOver.snapshot).toEqual(await takeSnapshot(root, 3));
    expect(fpOver.snapshot!.complete).toBe(true);
    const snapOver = await surveyTarget(root, bounds(4, 2));
    expect(snapOver.fingerprint).toBe(await fingerprintTarget(root, 4));
    expect(snapOver.snapshot!.complete).toBe(false);
    expect(snapOver.snapshot!.files.size).toBe(2);
  });

  it('keeps the bounds exact when a directory holds more files than one batch of lstats', async () => {
    const big = join(dir, 'survey-big');
    mkdirSync(big);
    for (let i = 0; i < 150; i++) writeFileSync(join(big, `f${i}.ts`), `${i}`);
    const survey = await surveyTarget(big, bounds(150, 100));
    expect(survey.fingerprint).toBe(await fingerprintTarget(big, 150));
    expect(survey.snapshot!.files.size).toBe(100);
    expect(survey.snapshot!.complete).toBe(false);
    expect(await fingerprintTarget(big, 149)).toBeUndefined();
    expect((await takeSnapshot(big, 150)).complete).toBe(true);
  });

  it('has no snapshot for a single file (its directory is walked by the run)', async () => {
    const file = join(root, 'src', 'a.ts');
    const survey = await surveyTarget(file, bounds(1, 100));
    expect(survey).toEqual({ fingerprint: await fingerprintTarget(file, 1) });
  });
});

describe('stableJson', () => {
  it('ignores key order and undefined values', () => {
    expect(stableJson({ b: 1, a: [1, { d: undefined, c: 'x' }] })).toBe(
      stableJson({ a: [1, { c: 'x' }], b: 1 }),
    );
    expect(stableJson(null)).toBe('null');
    expect(stableJson(undefined)).toBe('null');
  });
});

describe('SingleFlight', () => {
  it('shares one run between concurrent callers with the same key', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    let release!: (n: number) => void;
    const fn = () => {
      runs++;
      return new Promise<number>((r) => {
        release = r;
      });
    };
    const a = flights.run('k', new AbortController().signal, fn);
    const b = flights.run('k', new AbortController().signal, fn);
    expect(flights.size).toBe(1);
    release(7);
    expect(await Promise.all([a, b])).toEqual([7, 7]);
    expect(runs).toBe(1);
    expect(flights.size).toBe(0);
  });

  it('aborts the shared run only when its last caller cancels', async () => {
    const flights = new SingleFlight<number>();
    let inner: AbortSignal | undefined;
    const fn = (signal: AbortSignal) => {
      inner = signal;
      return new Promise<number>((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    };
    const c1 = new AbortController();
    const c2 = new AbortController();
    const a = flights.run('k', c1.signal, fn).catch((e: unknown) => e);
    const b = flights.run('k', c2.signal, fn).catch((e: unknown) => e);
    c1.abort();
    expect(((await a) as BrutalistError).code).toBe('CANCELLED');
    expect(inner?.aborted).toBe(false);
    c2.abort();
    expect(((await b) as BrutalistError).code).toBe('CANCELLED');
    expect(inner?.aborted).toBe(true);
    expect(flights.size).toBe(0);
  });

  it('rejects an already-cancelled caller without starting anything', async () => {
    const flights = new SingleFlight<number>();
    const c = new AbortController();
    c.abort();
    let started = false;
    const err = await flights
      .run('k', c.signal, async () => {
        started = true;
        return 1;
      })
      .catch((e: unknown) => e);
    expect(isBrutalistError(err) && err.code).toBe('CANCELLED');
    expect(started).toBe(false);
  });

  it("keeps a restarted flight's listeners when the abandoned run it replaced settles", async () => {
    const flights = new SingleFlight<string, string>();
    const emits: Array<(event: string) => void> = [];
    const releases: Array<(value: string) => void> = [];
    // Each run ignores abort, like a critic that takes a while to exit.
    const fn = (_signal: AbortSignal, emit: (event: string) => void) =>
      new Promise<string>((resolve) => {
        emits.push(emit);
        releases.push(resolve);
      });
    const a = new AbortController();
    const first = flights.run('k', a.signal, fn).catch((e: unknown) => e);
    a.abort();
    await first;
    const second = flights.run('k', new AbortController().signal, fn);
    releases[0]!('old');
    await Promise.resolve();
    await Promise.resolve();
    const heard: string[] = [];
    const third = flights.run('k', new AbortController().signal, fn, (e) => heard.push(e));
    emits[1]!('progress');
    emits[0]!('from the abandoned run');
    releases[1]!('new');
    expect(await Promise.all([second, third])).toEqual(['new', 'new']);
    expect(emits).toHaveLength(2);
    expect(heard).toEqual(['progress']);
  });

  it("runs each caller's event listener in that caller's request context", async () => {
    const flights = new SingleFlight<string, string>();
    let emit: (event: string) => void = () => {};
    let release: (value: string) => void = () => {};
    const fn = (_signal: AbortSignal, e: (event: string) => void) =>
      new Promise<string>((resolve) => {
        emit = e;
        release = resolve;
      });
    const heard: string[] = [];
    const ids: Record<string, string> = {};
    const join = (name: string) =>
      runInRequest('roast', (request) => {
        ids[name] = request.requestId;
        return flights.run('k', new AbortController().signal, fn, () =>
          heard.push(`${name} heard in ${currentRequest()?.requestId}`),
        );
      });
    const runs = [join('first'), join('second')];
    expect(flights.has('k')).toBe(true);
    emit('progress');
    release('done');
    expect(await Promise.all(runs)).toEqual(['done', 'done']);
    expect(ids.first).not.toBe(ids.second);
    expect(heard).toEqual([`first heard in ${ids.first}`, `second heard in ${ids.second}`]);
  });

  it('passes a failure to every caller and forgets the key', async () => {
    const flights = new SingleFlight<number>();
    const fail = () => Promise.reject(new BrutalistError('CLI_FAILED'));
    const results = await Promise.allSettled([
      flights.run('k', new AbortController().signal, fail),
      flights.run('k', new AbortController().signal, fail),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(flights.size).toBe(0);
  });
});

describe('ResultPages', () => {
  const meta = EMPTY_ROAST_META;

  function setup() {
    const clock = new ManualClock();
    const config = resolveConfig({ overrides: { pageChars: 1_000, resultTtlMs: 60_000 } });
    const store = new MemoryStateStore({
      maxBytes: 10_000_000,
      maxEntries: 1_000,
      cacheMaxEntryBytes: 1_000_000,
      clock,
    });
    return { clock, pages: new ResultPages(store, config, clock) };
  }

  it('hands out the first page with a cursor, and the cursor leads to the rest', async () => {
    const { pages } = setup();
    const text = 'x'.repeat(2_500);
    const first = await pages.save('me', text, meta);
    expect(first.page).toMatchObject({
      offset: 0,
      nextOffset: 1_000,
      totalChars: 2_500,
      estimatedTotalTokens: 625,
    });
    const second = await pages.pageByCursor('me', first.page.nextCursor!);
    const third = await pages.pageByCursor('me', second.page.nextCursor!);
    expect(third.page.nextCursor).toBeNull();
    expect(first.text + second.text + third.text).toBe(text);
  });

  it('expires cursors with the result TTL', async () => {
    const { clock, pages } = setup();
    const first = await pages.save('me', 'y'.repeat(1_500), meta);
    clock.advance(60_001);
    const err = await pages.pageByCursor('me', first.page.nextCursor!).catch((e: unknown) => e);
    expect(isBrutalistError(err) && err.code).toBe('INVALID_CURSOR');
  });

  it('rejects an offset beyond the end', async () => {
    const { pages } = setup();
    const first = await pages.save('me', 'short', meta);
    const err = await pages.page('me', first.contextId, 99).catch((e: unknown) => e);
    expect(isBrutalistError(err) && err.code).toBe('INVALID_ARGUMENT');
  });
});

describe('ResultPages: results too large for the store', () => {
  const meta = EMPTY_ROAST_META;
  /** A store that holds at most 4 kB: a 6 kB critique is refused as STATE_VALUE_TOO_LARGE and held in memory. */
  function setup(overrides: Record<string, unknown> = {}) {
    const clock = new ManualClock();
    const config = resolveConfig({
      overrides: { pageChars: 1_000, resultTtlMs: 60_000, oversizedResultsKept: 2, ...overrides },
    });
    const store = new MemoryStateStore({
      maxBytes: 4_000,
      maxEntries: 100,
      cacheMaxEntryBytes: 1_000,
      clock,
    });
    return { clock, pages: new ResultPages(store, config, clock) };
  }
  const codeOf = async (p: Promise<unknown>) => {
    const err = await p.catch((e: unknown) => e);
    return isBrutalistError(err) ? err.code : err;
  };
  const big = (c: string) => c.repeat(6_000);

  it('pages an oversized result from memory for its owner, and not for anyone else', async () => {
    const { pages } = setup();
    const first = await pages.save('me', big('a'), meta);
    const contextId = first.contextId;
    expect((await pages.page('me', contextId, 1_000)).text).toBe('a'.repeat(1_000));
    expect(await codeOf(pages.page('you', contextId))).toBe('CONTEXT_NOT_FOUND');
  });

  it('forgets an oversized result once its TTL has passed, and its cursor then reads INVALID_CURSOR', async () => {
    const { clock, pages } = setup();
    const first = await pages.save('me', big('b'), meta);
    clock.advance(30_000);
    const cursor = (await pages.page('me', first.contextId, 1_000)).page.nextCursor!;
    clock.advance(30_000);
    expect(await codeOf(pages.page('me', first.contextId))).toBe('CONTEXT_NOT_FOUND');
    expect(await codeOf(pages.pageByCursor('me', cursor))).toBe('INVALID_CURSOR');
  });

  it('keeps at most oversizedResultsKept oversized results, dropping the oldest first', async () => {
    const { pages } = setup();
    const ids = [];
    for (const c of ['x', 'y', 'z']) ids.push((await pages.save('me', big(c), meta)).contextId);
    expect(await codeOf(pages.page('me', ids[0]!))).toBe('CONTEXT_NOT_FOUND');
    expect((await pages.page('me', ids[1]!)).text.startsWith('y')).toBe(true);
    expect((await pages.page('me', ids[2]!)).text.startsWith('z')).toBe(true);
  });

  it('answers CONTEXT_NOT_FOUND for a context id that could never have been handed out', async () => {
    const { pages } = setup();
    expect(await codeOf(pages.page('me', 'bad id!'))).toBe('CONTEXT_NOT_FOUND');
  });

  it('signs cursors with the configured cursorSecret: another secret refuses them', async () => {
    const a = setup({ cursorSecret: 'a'.repeat(32) });
    const first = await a.pages.save('me', 'q'.repeat(1_500), meta);
    expect((await a.pages.pageByCursor('me', first.page.nextCursor!)).text).toBe('q'.repeat(500));
    const b = setup({ cursorSecret: 'b'.repeat(32) });
    expect(await codeOf(b.pages.pageByCursor('me', first.page.nextCursor!))).toBe('INVALID_CURSOR');
  });
});
