import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import type { ModelSession, SessionOptionsDef } from '../../definition/types.js';

/**
 * Opens a session on model bytes (already rewritten where needed), on the main thread or in a
 * worker thread of its own (`thread: worker`). The defaults (see `compileSession`) are one
 * intra-op and one inter-op thread: requests are batched across callers, so parallelism comes from
 * many rows per run, not from splitting one small run over threads that the HTTP server also needs.
 */
export function createSession(bytes: Uint8Array, options: SessionOptionsDef): Promise<ModelSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionMode: options.executionMode,
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: options.interOpThreads,
    graphOptimizationLevel: options.graphOptimizationLevel,
  };
  return options.thread === 'worker' ? WorkerSession.open(bytes, sessionOptions) : ort.InferenceSession.create(bytes, sessionOptions);
}

/** A tensor as it crosses between threads. */
interface PlainTensor {
  readonly type: ort.Tensor.Type;
  readonly data: ort.Tensor.DataType;
  readonly dims: readonly number[];
}

type Reply = { readonly id: number; readonly outputs: Record<string, PlainTensor> } | { readonly id: number; readonly error: string };

const ORT_MODULE = createRequire(import.meta.url).resolve('onnxruntime-node');
const WORKER_SCRIPT = new URL('./session-worker.cjs', import.meta.url);

/**
 * A session in a worker thread (`session-worker.cjs`): `run` posts the feeds (their buffers
 * transferred, not copied) and resolves with the outputs the worker posts back. The main thread is
 * free while the model computes. Runs queue in the worker, one at a time.
 */
class WorkerSession implements ModelSession {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (outputs: ort.InferenceSession.OnnxValueMapType) => void; reject: (error: Error) => void }>();
  #next = 0;
  /** Set once the session is released or its worker gone: every later run fails with it. */
  #gone: Error | undefined;
  #released: Promise<void> | undefined;
  #exited = false;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: Reply) => this.#settle(reply));
    worker.on('error', (error) => this.#end(new Error(`The model's worker thread failed: ${error.message}`)));
    worker.on('exit', (code) => {
      this.#exited = true;
      this.#end(new Error(`The model's worker thread exited (code ${code}).`));
    });
    // Only runs in flight keep the process alive.
    worker.unref();
  }

  static open(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<WorkerSession> {
    const worker = new Worker(WORKER_SCRIPT, { workerData: { ort: ORT_MODULE, bytes, options } });
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(new Error(`Cannot start the model's worker thread: ${error.message}`));
      worker.once('error', onError);
      worker.once('message', (message: { ready?: true; failed?: string }) => {
        worker.off('error', onError);
        if (message.ready) return resolve(new WorkerSession(worker));
        // Nothing runs in it: it can be stopped at once.
        void worker.terminate();
        reject(new Error(message.failed ?? 'The model could not be loaded in its worker thread.'));
      });
    });
  }

  run(feeds: Record<string, ort.Tensor>, fetches: readonly string[]): Promise<ort.InferenceSession.OnnxValueMapType> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#next++;
    const plain: Record<string, PlainTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, tensor] of Object.entries(feeds)) {
      plain[name] = { type: tensor.type, data: tensor.data, dims: tensor.dims };
      const buffer = (tensor.data as { buffer?: unknown }).buffer;
      if (buffer instanceof ArrayBuffer && !transfer.includes(buffer)) transfer.push(buffer);
    }
    return new Promise((resolve, reject) => {
      // Posted first: a feed that cannot be cloned throws here and leaves nothing behind.
      // The feeds' buffers are transferred: the caller's typed arrays are detached.
      this.#worker.postMessage({ id, feeds: plain, fetches }, transfer);
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
    });
  }

  /**
   * Takes no more runs; the runs already sent finish and answer, then the worker releases the
   * session and ends (terminating it during a native run would abort the process). Resolves when
   * it has ended; calling it again returns the same promise.
   */
  release(): Promise<void> {
    this.#released ??= this.#exited
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          this.#gone ??= new Error('The model session was released.');
          this.#worker.once('exit', () => resolve());
          this.#worker.ref();
          this.#worker.postMessage({ close: true });
        });
    return this.#released;
  }

  #settle(reply: Reply): void {
    const waiting = this.#pending.get(reply.id);
    if (!waiting) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if ('error' in reply) return waiting.reject(new Error(reply.error));
    try {
      waiting.resolve(Object.fromEntries(Object.entries(reply.outputs).map(([name, t]) => [name, new ort.Tensor(t.type, t.data as never, t.dims)])));
    } catch (error) {
      waiting.reject(new Error(`The model's outputs could not be read back from its worker thread: ${(error as Error).message}`));
    }
  }

  /** The worker is gone: the runs still waiting fail, and so does every later one. */
  #end(error: Error): void {
    this.#gone ??= error;
    for (const waiting of this.#pending.values()) waiting.reject(error);
    this.#pending.clear();
  }
}
