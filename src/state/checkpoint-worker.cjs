// @ts-check
/**
 * WAL checkpoints of a SQLite state file, in a worker thread with a connection of its own. A
 * checkpoint copies the log's pages into the database file and syncs it to disk; on the thread
 * that writes the decision log it holds every request in flight for that long (about 20 ms every
 * few thousand requests on this machine). Here it runs beside the writer: a PASSIVE checkpoint
 * neither waits for the writer nor blocks it, and when one has caught up with the log, the writer's
 * next transaction starts the log again from its beginning. Plain CommonJS so that it runs as it
 * is, from the sources (tests) and from dist/ (the build copies it).
 *
 * workerData: { sqlite: path of better-sqlite3, file, intervalMs }.
 * Protocol:
 *   worker → parent  { ready: true } once the connection is open, or { failed: message } (then it ends)
 *                    { failed: message } if a periodic checkpoint fails other than busy (then it ends)
 *   parent → worker  { checkpoint: id }   checkpoint now; the worker replies
 *                                         { id, busy, log, checkpointed } or { id, error: message }
 *                    { close: true }      stop; the thread ends once its connection is closed
 */
const { parentPort, workerData } = require('node:worker_threads');

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
/** @type {typeof import('better-sqlite3')} */
const Database = require(workerData.sqlite);

/** @type {import('better-sqlite3').Database | undefined} */
let db;
try {
  db = new Database(workerData.file, { fileMustExist: true, timeout: 5000 });
} catch (error) {
  port.postMessage({ failed: `cannot open the file: ${message(error)}` });
  port.close();
}
if (db) serve(db);

/** @param {import('better-sqlite3').Database} db */
function serve(db) {
  /** @returns {{ busy: number, log: number, checkpointed: number }} */
  const checkpoint = () => {
    const [row] = /** @type {{ busy: number, log: number, checkpointed: number }[]} */ (db.pragma('wal_checkpoint(PASSIVE)'));
    return /** @type {{ busy: number, log: number, checkpointed: number }} */ (row);
  };
  const stop = () => {
    clearInterval(timer);
    db.close();
    port.close();
  };
  const timer = setInterval(() => {
    try {
      checkpoint();
    } catch (error) {
      // Another process holding the file a moment (its recovery, say) skips a turn, no more.
      if (/^SQLITE_BUSY/.test(/** @type {{ code?: unknown }} */ (error).code?.toString() ?? '')) return;
      port.postMessage({ failed: message(error) });
      stop();
    }
  }, workerData.intervalMs);
  port.on('message', (/** @type {{ checkpoint?: number, close?: true }} */ request) => {
    if (request.close) return stop();
    if (request.checkpoint === undefined) return;
    try {
      port.postMessage({ id: request.checkpoint, ...checkpoint() });
    } catch (error) {
      port.postMessage({ id: request.checkpoint, error: message(error) });
    }
  });
  port.postMessage({ ready: true });
}

/** @param {unknown} error */
function message(error) {
  return error instanceof Error ? error.message : String(error);
}
