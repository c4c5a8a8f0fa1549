import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** What one WAL checkpoint did, as SQLite reports it (`PRAGMA wal_checkpoint`). */
export interface CheckpointResult {
  /** 1 if the checkpoint could not finish because a reader or writer held the frames it needed. */
  readonly busy: number;
  /** Frames in the log. */
  readonly log: number;
  /** Frames of the log now in the database file. */
  readonly checkpointed: number;
}

type Message =
  | { readonly ready: true }
  | { readonly failed: string }
  | ({ readonly id: number } & CheckpointResult)
  | { readonly id: number; readonly error: string };

const SQLITE_MODULE = createRequire(import.meta.url).resolve('better-sqlite3');
const WORKER_SCRIPT = new URL('./checkpoint-worker.cjs', import.meta.url);

/**
 * WAL checkpoints of one SQLite file in a worker thread with a connection of its own
 * (`checkpoint-worker.cjs`), every `intervalMs` and on request: the connection that writes the
 * decision log then never stalls its requests for one. If the worker fails, a warning says so and
 * the writer's own automatic checkpoints (which stay configured as a safety net) take over: no
 * write depends on the worker, so nothing is lost either way.
 */
export class BackgroundCheckpointer {
  readonly #file: string;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (result: CheckpointResult) => void; reject: (error: Error) => void }>();
  readonly #exited: Promise<void>;
  #next = 0;
  /** Set once the worker has failed or been closed: later checkpoints fail with it. */
  #gone: Error | undefined;

  constructor(file: string, intervalMs: number) {
    this.#file = file;
    this.#worker = new Worker(WORKER_SCRIPT, { workerData: { sqlite: SQLITE_MODULE, file, intervalMs } });
    this.#worker.on('message', (message: Message) => this.#receive(message));
    this.#worker.on('error', (error) => this.#fail(error.message));
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    void this.#exited.then(() => this.#end(new Error(`The checkpoints of ${file} have stopped.`)));
    // Checkpoints alone do not keep a process alive.
    this.#worker.unref();
  }

  /** Checkpoints now, beside the periodic ones. */
  checkpoint(): Promise<CheckpointResult> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#next++;
    // A checkpoint asked for keeps the process alive until it is answered.
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ checkpoint: id });
    });
  }

  /** Stops the worker and waits until its connection is closed (before the writer's own closes). */
  async close(): Promise<void> {
    if (!this.#gone) {
      this.#end(new Error(`The checkpoints of ${this.#file} were closed.`));
      // Kept alive until it has closed its connection: the writer's close then finds itself last
      // and checkpoints the rest of the log into the file.
      this.#worker.ref();
      this.#worker.postMessage({ close: true });
    }
    await this.#exited;
  }

  #receive(message: Message): void {
    if ('ready' in message) return;
    if ('failed' in message) return this.#fail(message.failed);
    const pending = this.#pending.get(message.id);
    this.#pending.delete(message.id);
    if (this.#pending.size === 0 && !this.#gone) this.#worker.unref();
    if ('error' in message) pending?.reject(new Error(`Checkpoint of ${this.#file} failed: ${message.error}`));
    else pending?.resolve({ busy: message.busy, log: message.log, checkpointed: message.checkpointed });
  }

  #fail(reason: string): void {
    if (this.#gone) return;
    this.#end(new Error(`Background checkpoints of ${this.#file} failed: ${reason}`));
    process.emitWarning(
      `Background WAL checkpoints of ${this.#file} stopped (${reason}); the connection that writes checkpoints the log itself again (every ~40 MB of log).`,
      { code: 'TESSERA_CHECKPOINTS' },
    );
  }

  #end(error: Error): void {
    this.#gone ??= error;
    for (const { reject } of this.#pending.values()) reject(this.#gone);
    this.#pending.clear();
  }
}
