/** Signed cursors: bound to their owner, expiring, tamper-evident, and verifiable by any instance on the store. */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { signCursor, verifyCursor } from '../../src/engine/cursors.js';
import { ResultPages } from '../../src/engine/results.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { MemoryStateStore } from '../../src/state/index.js';
import { EMPTY_ROAST_META } from '../support/results.js';

const SECRET = 'test-secret-0123456789abcdef0123456789';
const claims = {
  contextId: '0f8b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
  offset: 1_000,
  limit: 1_000,
  expiresAt: 2_000,
};
const meta = EMPTY_ROAST_META;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isBrutalistError(err) ? err.code : String(err);
  }
  return 'no error';
}

async function asyncCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return isBrutalistError(err) ? err.code : String(err);
  }
  return 'no error';
}

describe('signCursor / verifyCursor', () => {
  const cursor = signCursor(SECRET, 'alice', claims);

  it('round-trips the claims for the owner before expiry, in under 200 characters', () => {
    expect(verifyCursor(SECRET, 'alice', cursor, 1_999)).toEqual(claims);
    expect(cursor.length).toBeLessThan(200);
    expect(cursor).toMatch(/^c_/);
  });

  it('rejects an expired cursor', () => {
    expect(codeOf(() => verifyCursor(SECRET, 'alice', cursor, 2_000))).toBe('INVALID_CURSOR');
  });

  it("rejects another owner's cursor", () => {
    expect(codeOf(() => verifyCursor(SECRET, 'bob', cursor, 0))).toBe('INVALID_CURSOR');
  });

  it('rejects a cursor signed with another secret', () => {
    expect(codeOf(() => verifyCursor(`${SECRET}x`, 'alice', cursor, 0))).toBe('INVALID_CURSOR');
  });

  it('rejects every single-character change to the payload or the MAC', () => {
    const alphabet = 'ABCabc019-_';
    for (let i = 2; i < cursor.length; i++) {
      if (cursor[i] === '.') continue;
      const swapped = alphabet.split('').find((ch) => ch !== cursor[i])!;
      const tampered = cursor.slice(0, i) + swapped + cursor.slice(i + 1);
      expect(codeOf(() => verifyCursor(SECRET, 'alice', tampered, 0))).toBe('INVALID_CURSOR');
    }
  });

  it('rejects a re-signed payload with a wider offset only if the secret is unknown', () => {
    const payload = Buffer.from(JSON.stringify({ c: claims.contextId, o: 0, l: 99_999, e: 9e15 })).toString(
      'base64url',
    );
    const forged = `c_${payload}.${cursor.split('.')[1]}`;
    expect(codeOf(() => verifyCursor(SECRET, 'alice', forged, 0))).toBe('INVALID_CURSOR');
  });

  it('rejects garbage of every shape without throwing anything else', () => {
    for (const junk of [
      '',
      'c_',
      'c_.',
      'c_abc.def',
      'x'.repeat(300),
      `c_${'A'.repeat(300)}.${'B'.repeat(22)}`,
    ]) {
      expect(codeOf(() => verifyCursor(SECRET, 'alice', junk, 0))).toBe('INVALID_CURSOR');
    }
  });
});

describe('ResultPages cursors', () => {
  function pagesOn(store: MemoryStateStore, clock: ManualClock, cursorSecret = '') {
    const config = resolveConfig({ overrides: { pageChars: 1_000, resultTtlMs: 60_000, cursorSecret } });
    return new ResultPages(store, config, clock);
  }
  const newStore = (clock: ManualClock) =>
    new MemoryStateStore({ maxBytes: 1 << 24, maxEntries: 100, cacheMaxEntryBytes: 1 << 16, clock });

  it('generates one secret, keeps it in the store, and every ResultPages on that store accepts the cursor', async () => {
    const clock = new ManualClock();
    const store = newStore(clock);
    const first = await pagesOn(store, clock).save('alice', 'x'.repeat(2_500), meta);
    const second = await pagesOn(store, clock).pageByCursor('alice', first.page.nextCursor!);
    expect(second.page.offset).toBe(1_000);
    // The cursor was signed with the secret the store holds (not one this instance made up and kept).
    const stored = await store.sharedSecret('cursor');
    expect(verifyCursor(stored, 'alice', first.page.nextCursor!, clock.now())).toMatchObject({
      offset: 1_000,
    });
    // A ResultPages on another store has another secret and refuses it.
    expect(
      await asyncCodeOf(pagesOn(newStore(clock), clock).pageByCursor('alice', first.page.nextCursor!)),
    ).toBe('INVALID_CURSOR');
  });

  it('keeps a result too large for the store out of it, pages it from memory for its owner, and never fails retryably', async () => {
    const clock = new ManualClock();
    const store = new MemoryStateStore({
      maxBytes: 4_096,
      maxEntries: 100,
      cacheMaxEntryBytes: 1_024,
      clock,
    });
    const pages = pagesOn(store, clock);
    const text = 'w'.repeat(2_500) + 'v'.repeat(2_500);
    const first = await pages.save('alice', text, meta);
    expect(first.text).toBe('w'.repeat(1_000));
    expect(await store.getResult(first.contextId)).toBeNull();
    const third = await pages.page('alice', first.contextId, 2_000);
    expect(third.text).toBe('w'.repeat(500) + 'v'.repeat(500));
    const byCursor = await pages.pageByCursor('alice', first.page.nextCursor!);
    expect(byCursor.page.offset).toBe(1_000);
    expect(await asyncCodeOf(pages.page('bob', first.contextId))).toBe('CONTEXT_NOT_FOUND');
  });

  it('keeps at most oversizedResultsKept results too large for the store, dropping the oldest', async () => {
    const clock = new ManualClock();
    const store = new MemoryStateStore({
      maxBytes: 4_096,
      maxEntries: 100,
      cacheMaxEntryBytes: 1_024,
      clock,
    });
    const config = resolveConfig({ overrides: { pageChars: 1_000, oversizedResultsKept: 2 } });
    const pages = new ResultPages(store, config, clock);
    const saved = [];
    for (const letter of ['a', 'b', 'c']) saved.push(await pages.save('alice', letter.repeat(5_000), meta));
    const [oldest, middle, newest] = saved.map((s) => s.contextId);
    expect(await asyncCodeOf(pages.page('alice', oldest!, 1_000))).toBe('CONTEXT_NOT_FOUND');
    expect((await pages.page('alice', middle!, 1_000)).text).toBe('b'.repeat(1_000));
    expect((await pages.page('alice', newest!, 1_000)).text).toBe('c'.repeat(1_000));
  });

  it('uses the configured cursorSecret when set', async () => {
    const clock = new ManualClock();
    const first = await pagesOn(newStore(clock), clock, SECRET).save('alice', 'y'.repeat(2_500), meta);
    const claims2 = verifyCursor(SECRET, 'alice', first.page.nextCursor!, clock.now());
    expect(claims2).toMatchObject({ offset: 1_000, limit: 1_000 });
  });

  it('turns a foreign, tampered or expired cursor into INVALID_CURSOR, and one whose result is gone too', async () => {
    const clock = new ManualClock();
    const store = newStore(clock);
    const pages = pagesOn(store, clock);
    const first = await pages.save('alice', 'z'.repeat(2_500), meta);
    const cursor = first.page.nextCursor!;
    expect(await asyncCodeOf(pages.pageByCursor('bob', cursor))).toBe('INVALID_CURSOR');
    expect(
      await asyncCodeOf(
        pages.pageByCursor('alice', `${cursor.slice(0, -1)}${cursor.endsWith('A') ? 'B' : 'A'}`),
      ),
    ).toBe('INVALID_CURSOR');
    const other = await pages.save('alice', 'w'.repeat(2_500), meta);
    await store.close();
    const fresh = newStore(clock);
    expect(await asyncCodeOf(pagesOn(fresh, clock).pageByCursor('alice', other.page.nextCursor!))).toBe(
      'INVALID_CURSOR',
    );
    clock.advance(60_000);
    const keep = newStore(clock);
    expect(await asyncCodeOf(pagesOn(keep, clock).pageByCursor('alice', cursor))).toBe('INVALID_CURSOR');
  });
});
