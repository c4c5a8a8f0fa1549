import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** What one WAL checkpoint did, as SQLite reports it (`PRAGMA wal_checkpoint`). */
export interface CheckpointResult {
  /** 1 if the checkpoint could not finish because another connection held what it needed. */
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
 * (`checkpoint-worker.cjs`), every `intervalMs` and on request, so that the connection writing the
 * decision log does not hold its requests for them. If the worker fails, a `TESSERA_CHECKPOINTS`
 * warning says so and the writer's own automatic checkpoints (which stay configured as a safety
 * net) take over: no write depends on the worker, so nothing is lost either way.
 */
export class BackgroundCheckpointer {
  readonly #file: string;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (result: CheckpointResult) => void; reject: (error: Error) => void }>();
  readonly #exited: Promise<void>;
  #next = 0;
  #closing = false;
  /** Set once the worker has failed, exited or been closed: later checkpoints fail with it. */
  #gone: Error | undefined;

  constructor(file: string, intervalMs: number) {
    this.#file = path.resolve(file);
    this.#worker = new Worker(WORKER_SCRIPT, { workerData: { sqlite: SQLITE_MODULE, file: this.#file, intervalMs } });
    this.#worker.on('message', (message: Message) => this.#receive(message));
    this.#worker.on('error', (error: unknown) => this.#fail(error instanceof Error ? error.message : String(error)));
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', () => {
        if (!this.#closing) this.#fail('its thread exited');
        resolve();
      }),
    );
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

  /**
   * Stops the worker and waits until its connection is closed, so that the writer's close comes
   * last and checkpoints the rest of the log into the file. Checkpoints asked for and not yet
   * answered fail (the periodic ones make them unnecessary).
   */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#end(new Error(`The checkpoints of ${this.#file} were closed.`));
      this.#worker.postMessage({ close: true });
    }
    // Kept alive until it has exited (a no-op once it has).
    this.#worker.ref();
    await this.#exited;
  }

  #receive(message: Message): void {
    if ('ready' in message) return;
    if ('failed' in message) return this.#fail(message.failed);
    const pending = this.#pending.get(message.id);
    this.#pending.delete(message.id);
    if (this.#pending.size === 0 && !this.#closing) this.#worker.unref();
    if ('error' in message) pending?.reject(new Error(`Checkpoint of ${this.#file} failed: ${message.error}`));
    else pending?.resolve({ busy: message.busy, log: message.log, checkpointed: message.checkpointed });
  }

  #fail(reason: string): void {
    if (this.#gone) return;
    this.#end(new Error(`Background checkpoints of ${this.#file} failed: ${reason}`));
    process.emitWarning(
      `Background WAL checkpoints of ${this.#file} stopped (${reason}); the writing connection checkpoints the log itself again (every ~40 MB of log).`,
      { code: 'TESSERA_CHECKPOINTS' },
    );
  }

  #end(error: Error): void {
    this.#gone ??= error;
    for (const { reject } of this.#pending.values()) reject(this.#gone);
    this.#pending.clear();
    if (!this.#closing) this.#worker.unref();
  }
}
