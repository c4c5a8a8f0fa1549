// @ts-check
/**
 * WAL checkpoints of a SQLite state file, in a worker thread with a connection of its own. A
 * checkpoint copies the log's pages into the database file and syncs it to disk; on the thread
 * that writes the decision log it stalls every request in flight for that long (about 20 ms every
 * few thousand requests on this machine). Here it runs beside the writer: PASSIVE checkpoints never
 * wait for the writer and never block it, and once one has caught up the writer's next transaction
 * starts the log again from the beginning. Plain CommonJS so that it runs as it is, from the
 * sources (tests) and from dist/ (the build copies it).
 *
 * workerData: { sqlite: path of better-sqlite3, file, intervalMs }.
 * Protocol:
 *   worker → parent  { ready: true } once the connection is open, or { failed: message } (then it ends)
 *                    { failed: message } if a periodic checkpoint fails (then it ends)
 *   parent → worker  { checkpoint: id }   checkpoint now; the worker replies
 *                                         { id, busy, log, checkpointed } or { id, error: message }
 *                    { close: true }      stop; the thread ends once its connection is closed
 */
const { parentPort, workerData } = require('node:worker_threads');

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
/** @type {typeof import('better-sqlite3')} */
const Database = require(workerData.sqlite);

/** @type {import('better-sqlite3').Database} */
let db;
try {
  db = new Database(workerData.file, { fileMustExist: true, timeout: 5000 });
} catch (error) {
  port.postMessage({ failed: `cannot open ${workerData.file}: ${message(error)}` });
  port.close();
  return;
}

/** @returns {{ busy: number, log: number, checkpointed: number }} */
function checkpoint() {
  const [row] = /** @type {{ busy: number, log: number, checkpointed: number }[]} */ (db.pragma('wal_checkpoint(PASSIVE)'));
  return /** @type {{ busy: number, log: number, checkpointed: number }} */ (row);
}

function stop() {
  clearInterval(timer);
  db.close();
  port.close();
}

const timer = setInterval(() => {
  try {
    checkpoint();
  } catch (error) {
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

/** @param {unknown} error */
function message(error) {
  return error instanceof Error ? error.message : String(error);
}
