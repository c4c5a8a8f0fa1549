import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackgroundCheckpointer } from '../../src/state/checkpointer.js';
import { openSqliteStore, type DecisionRecord } from '../../src/state/index.js';

const newFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'tessera-checkpoints-')), 'state.db');
/** Longer than any test: only the checkpoints a test asks for run. */
const NEVER_MS = 3_600_000;

/** A writer that never checkpoints on its own: whatever reaches the database file, the worker put there. */
function openWriter(file: string): { db: Database.Database; write(count: number): void; rows(): number } {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO log (payload) VALUES (?)');
  // One transaction per row, as a group commit of one request: at least one log frame each.
  const writeOne = db.transaction((i: number) => insert.run(`row ${i} ${'x'.repeat(200)}`));
  return {
    db,
    write: (count) => {
      for (let i = 0; i < count; i++) writeOne(i);
    },
    rows: () => (db.prepare('SELECT COUNT(*) AS n FROM log').get() as { n: number }).n,
  };
}

describe('background WAL checkpoints', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('copy the log into the database file from their own thread, and the writer’s log then starts over', async () => {
    const file = newFile();
    const writer = openWriter(file);
    const checkpoints = new BackgroundCheckpointer(file, NEVER_MS);
    // If an assertion fails before the end (both closes are no-ops when repeated).
    cleanup.push(() => writer.db.open && writer.db.close(), () => checkpoints.close());
    writer.write(300);

    const first = await checkpoints.checkpoint();
    expect(first.busy).toBe(0);
    expect(first.log).toBeGreaterThanOrEqual(300);
    expect(first.checkpointed).toBe(first.log);

    // The next transaction finds the whole log in the file and writes from the log's start again:
    // the log stays bounded although the writer never checkpoints.
    writer.write(1);
    const second = await checkpoints.checkpoint();
    expect(second.log).toBeLessThan(10);
    expect(second.checkpointed).toBe(second.log);

    expect(writer.rows()).toBe(301);
    await checkpoints.close();
    await expect(checkpoints.checkpoint()).rejects.toThrow(/closed/);
    // The writer's connection is the last one: closing it checkpoints the rest and removes the log.
    writer.db.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reader = new Database(file, { readonly: true });
    expect((reader.prepare('SELECT COUNT(*) AS n FROM log').get() as { n: number }).n).toBe(301);
    reader.close();
  });

  it('run on their own every interval', async () => {
    const file = newFile();
    const writer = openWriter(file);
    cleanup.push(() => writer.db.close());
    const sizeBefore = statSync(file).size;
    writer.write(200);
    // The writer never checkpoints, so the database file grows only when the worker checkpoints.
    expect(statSync(file).size).toBe(sizeBefore);
    const checkpoints = new BackgroundCheckpointer(file, 20);
    cleanup.push(() => checkpoints.close());
    await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(sizeBefore), { timeout: 10_000, interval: 20 });
  });

  it('say so when they cannot run', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tessera-checkpoints-')), 'missing', 'state.db');
    const warned = new Promise<Error>((resolve) => {
      const listen = (warning: Error & { code?: string }) => {
        if (warning.code !== 'TESSERA_CHECKPOINTS') return;
        process.off('warning', listen);
        resolve(warning);
      };
      process.on('warning', listen);
    });
    const checkpoints = new BackgroundCheckpointer(file, NEVER_MS);
    cleanup.push(() => checkpoints.close());
    const warning = await warned;
    expect(warning.message).toBe(
      `Background WAL checkpoints of ${file} stopped (cannot open the file: Cannot open database because the directory does not exist); the writing connection checkpoints the log itself again (every ~40 MB of log).`,
    );
    await expect(checkpoints.checkpoint()).rejects.toThrow(`Background checkpoints of ${file} failed: cannot open the file`);
  });
});

describe('the SQLite state store', () => {
  const record = (requestId: string): DecisionRecord => ({ requestId, pipeline: 'p', at: 1, nodes: [{ node: 'n', version: 'v1', scope: 's' }] });

  it.each(['background', 'inline'] as const)('with %s checkpoints keeps every decision across a close, and leaves no log behind', async (checkpoints) => {
    const file = newFile();
    const store = openSqliteStore(file, { checkpoints });
    const sizeBefore = statSync(file).size;
    for (let i = 0; i < 500; i++) await store.appendDecisions([record(`r${i}`)]);
    // 500 commits are far from the writer's own checkpoint (10,000 pages of log): only the worker
    // puts them into the file before the close does.
    if (checkpoints === 'background') await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(sizeBefore), { timeout: 10_000, interval: 20 });
    else expect(statSync(file).size).toBe(sizeBefore);
    await store.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reopened = openSqliteStore(file, { checkpoints });
    try {
      expect(await reopened.decision('r0')).toEqual(record('r0'));
      expect(await reopened.decision('r499')).toEqual(record('r499'));
      expect(await reopened.armStats({ pipeline: 'p', node: 'n' }, 's')).toEqual([
        { pipeline: 'p', node: 'n', scope: 's', version: 'v1', assignments: 500, outcomes: { count: 0, sum: 0, sumSquares: 0 } },
      ]);
    } finally {
      await reopened.close();
    }
  });

  it('refuses options it does not know', () => {
    const file = newFile();
    expect(() => openSqliteStore(file, { checkpoints: 'sometimes' as never })).toThrow('checkpoints must be "background" or "inline"; got "sometimes".');
    expect(() => openSqliteStore(file, { synchronous: 'OFF' as never })).toThrow('synchronous must be "NORMAL" or "FULL"; got "OFF".');
  });
});
