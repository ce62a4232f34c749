// Backup and restore of the SQLite store: an online backup taken while the store is in use, restored into a
// new state folder, serves a cursor, a context id and a conversation minted before the backup.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { ResultPages } from '../../src/engine/results.js';
import { systemClock } from '../../src/infra/index.js';
import { SqliteStateStore } from '../../src/state/index.js';
import { EMPTY_ROAST_META } from '../support/results.js';

const root = mkdtempSync(join(tmpdir(), 'brutalist-backup-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = resolveConfig({ overrides: { pageChars: 1_000 } });
const limits = { maxBytes: 1 << 26, maxEntries: 10_000, cacheMaxEntryBytes: 1 << 20 };
const meta = EMPTY_ROAST_META;

describe('SQLite backup and restore', () => {
  it('serves an old cursor, context id and conversation from a restored backup', async () => {
    const live = new SqliteStateStore({ ...limits, dir: join(root, 'live') });
    const pages = new ResultPages(live, config, systemClock);
    const text = Array.from({ length: 300 }, (_, i) => `line ${i} of the critique`).join('\n');
    const first = await pages.save('alice', text, meta);
    const second = await pages.pageByCursor('alice', first.page.nextCursor!);
    await live.putConversation(
      {
        contextId: first.contextId,
        owner: 'alice',
        tool: 'roast',
        critics: ['claude'],
        turns: [{ role: 'user', text: 'hi', at: 1 }],
      },
      60_000,
      10,
    );
    const backupFile = join(root, 'state-backup.db');
    await live.backup(backupFile);
    // Writes after the backup are not in it.
    await pages.save('alice', 'after the backup', meta);
    await live.close();

    const restoredDir = join(root, 'restored');
    mkdirSync(restoredDir);
    copyFileSync(backupFile, join(restoredDir, 'state.db'));
    const restored = new SqliteStateStore({ ...limits, dir: restoredDir });
    const restoredPages = new ResultPages(restored, config, systemClock);
    const again = await restoredPages.pageByCursor('alice', first.page.nextCursor!);
    expect(again.text).toBe(second.text);
    expect((await restoredPages.page('alice', first.contextId, 0)).text).toBe(first.text);
    expect((await restored.getConversation(first.contextId))?.turns).toHaveLength(1);
    expect((await restored.stats()).entries).toBe(2);
    await restored.close();
  });
});
