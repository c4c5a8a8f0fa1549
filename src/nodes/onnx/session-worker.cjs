// @ts-check
/**
 * One onnxruntime session in a worker thread of its own (`session.thread: worker`): onnxruntime-node
 * runs inference synchronously on the calling thread, so a slow model on the main thread would
 * hold every other request, and its node's timeout, until it is done. Plain CommonJS so that it
 * runs as it is, from the sources (tests) and from dist/ (the build copies it).
 *
 * Protocol, one message each way per run (ids pair them up):
 *   parent → worker  { id, feeds: { name: { type, data, dims } }, fetches: [name] }
 *   worker → parent  { id, outputs: { name: { type, data, dims } } }  or  { id, error: message }
 * and `{ close: true }` to end: the session is released after the runs before it, and the thread
 * ends on its own (terminating it during a run would abort the process in the native code).
 * The session is created from `workerData` ({ ort, bytes, options }) before the first message is
 * read; the worker says `{ ready: true }` or `{ failed: message }`.
 */
const { parentPort, workerData } = require('node:worker_threads');

/** @type {typeof import('onnxruntime-node')} */
const ort = require(workerData.ort);
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

ort.InferenceSession.create(workerData.bytes, workerData.options).then(
  (session) => {
    // Messages are handled one after the other, in order: a close comes after the runs before it.
    let queue = Promise.resolve();
    port.on('message', (/** @type {{ id: number, feeds: Record<string, { type: any, data: any, dims: number[] }>, fetches: string[], close?: true }} */ message) => {
      queue = queue.then(() => (message.close ? close(session) : run(session, message)));
    });
    port.postMessage({ ready: true });
  },
  (error) => port.postMessage({ failed: error instanceof Error ? error.message : String(error) }),
);

/** @param {import('onnxruntime-node').InferenceSession} session */
async function close(session) {
  await session.release();
  port.close();
}

/**
 * @param {import('onnxruntime-node').InferenceSession} session
 * @param {{ id: number, feeds: Record<string, { type: any, data: any, dims: number[] }>, fetches: string[] }} message
 */
async function run(session, message) {
  try {
    const feeds = Object.fromEntries(Object.entries(message.feeds).map(([name, t]) => [name, new ort.Tensor(t.type, t.data, t.dims)]));
    const results = await session.run(feeds, message.fetches);
    /** @type {Record<string, { type: string, data: unknown, dims: readonly number[] }>} */
    const outputs = {};
    /** @type {ArrayBuffer[]} */
    const transfer = [];
    for (const [name, value] of Object.entries(results)) {
      const tensor = /** @type {import('onnxruntime-node').Tensor} */ (value);
      outputs[name] = { type: tensor.type, data: tensor.data, dims: tensor.dims };
      const buffer = /** @type {{ buffer?: unknown }} */ (tensor.data).buffer;
      if (buffer instanceof ArrayBuffer && !transfer.includes(buffer)) transfer.push(buffer);
    }
    port.postMessage({ id: message.id, outputs }, transfer);
  } catch (error) {
    port.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
}
