import DataLoader from 'dataloader';
import pLimit from 'p-limit';

/** Runs a batch of rows at once; returns one result or Error per row, in order. */
export type BatchFunction<K, V> = (rows: readonly K[]) => Promise<readonly (V | Error)[]>;

export interface BatcherOptions {
  /** Most rows in one run. Default: no limit. */
  readonly maxBatchSize?: number;
  /**
   * Wait this long (ms) after the first row for more. Default: no timer. An idle model runs a batch
   * as soon as the code that queued its rows is done (after the pending promise jobs, as DataLoader
   * does); a busy one collects rows until a run finishes, then runs all of them at once. Under load
   * a batch is then everything that arrived during the previous run; alone, a request waits for
   * nothing.
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
  const concurrency = options.concurrency ?? 1;
  // Runs, a failed batch's row-by-row retries included, go through the limit.
  const limit = pLimit(concurrency);
  const limited: BatchFunction<K, V> = (rows) => limit(() => run(rows));
  // Batches in flight, and those formed while every slot was taken (dispatched in order as slots free).
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const dispatchWhenFree = (dispatch: () => void) => {
    if (inFlight < concurrency && waiting.length === 0) dispatch();
    else waiting.push(dispatch);
  };
  const runBatch = async (rows: readonly K[]) => {
    inFlight++;
    try {
      return await runWithRowRetry(limited, rows);
    } finally {
      inFlight--;
      // dispatch() calls runBatch synchronously, which takes the slot again.
      while (waiting.length > 0 && inFlight < concurrency) (waiting.shift() as () => void)();
    }
  };
  const schedule =
    options.schedule ??
    (options.maxWaitMs !== undefined
      ? (dispatch: () => void) => void setTimeout(dispatch, options.maxWaitMs)
      : // After the pending promise jobs, as DataLoader does by default: no timer, no event-loop turn.
        (dispatch: () => void) => void resolved.then(() => process.nextTick(dispatch)));
  // DataLoader keeps adding rows to a batch until it is dispatched: a batch that waits for a slot grows.
  const loader = new DataLoader<K, V>(runBatch, {
    cache: false,
    batchScheduleFn: (dispatch) => schedule(() => dispatchWhenFree(dispatch)),
    ...(options.maxBatchSize !== undefined ? { maxBatchSize: options.maxBatchSize } : {}),
  });
  return { load: (row) => loader.load(row) };
}

const resolved = Promise.resolve();

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
