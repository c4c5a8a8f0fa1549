import DataLoader from 'dataloader';
import pLimit from 'p-limit';

/** Runs a batch of rows at once; returns one result or Error per row, in order. */
export type BatchFunction<K, V> = (rows: readonly K[]) => Promise<readonly (V | Error)[]>;

export interface BatcherOptions {
  /** Most rows in one run. Default: no limit. */
  readonly maxBatchSize?: number;
  /**
   * Wait this long (ms) after the first row for more. Default: no timer; a batch holds the rows that
   * arrive before the event loop turns (`setImmediate`), which under load is every request whose
   * bytes came in the same I/O poll.
   */
  readonly maxWaitMs?: number;
  /** Runs in flight at once. Default 1: while one runs, the next batch fills up. */
  readonly concurrency?: number;
  /** Replaces the scheduling of a batch (tests drive it with a virtual clock). */
  readonly schedule?: (dispatch: () => void) => void;
}

/** Joins concurrent rows into one run: one process-wide instance per node version. */
export interface Batcher<K, V> {
  load(row: K): Promise<V>;
}

/**
 * A DataLoader with its cache off: it is for joining the rows of concurrent requests, not for
 * memoizing within one. Runs go through a concurrency limit. When a whole batch fails, each row is
 * retried alone, so that one bad row fails only its own request (dataloader's `failedDispatch`
 * would fail them all).
 */
export function createBatcher<K, V>(run: BatchFunction<K, V>, options: BatcherOptions = {}): Batcher<K, V> {
  const limit = pLimit(options.concurrency ?? 1);
  const limited: BatchFunction<K, V> = (rows) => limit(() => run(rows));
  const schedule =
    options.schedule ??
    (options.maxWaitMs !== undefined ? (dispatch: () => void) => void setTimeout(dispatch, options.maxWaitMs) : (dispatch: () => void) => void setImmediate(dispatch));
  const loader = new DataLoader<K, V>((rows) => runWithRowRetry(limited, rows), {
    cache: false,
    batchScheduleFn: schedule,
    ...(options.maxBatchSize !== undefined ? { maxBatchSize: options.maxBatchSize } : {}),
  });
  return { load: (row) => loader.load(row) };
}

async function runWithRowRetry<K, V>(run: BatchFunction<K, V>, rows: readonly K[]): Promise<(V | Error)[]> {
  try {
    return [...(await run(rows))];
  } catch (error) {
    if (rows.length === 1) return [asError(error)];
    return Promise.all(rows.map((row) => run([row]).then((results) => results[0] as V | Error, asError)));
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
