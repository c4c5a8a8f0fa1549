import DataLoader from 'dataloader';

/** Runs a batch of rows at once; returns one result or Error per row, in order. */
export type BatchFunction<K, V> = (rows: readonly K[]) => Promise<readonly (V | Error)[]>;

export interface BatcherOptions {
  /** Largest number of rows in one run. Default: no limit. */
  readonly maxBatchSize?: number;
}

/** Joins concurrent rows into one run: one process-wide instance per node version. */
export interface Batcher<K, V> {
  load(row: K): Promise<V>;
}

/**
 * A DataLoader with its cache off: it is for joining the rows of concurrent requests, not for
 * memoizing within one. When a whole batch fails, each row is retried alone, so that one bad row
 * fails only its own request (dataloader's `failedDispatch` fails them all).
 */
export function createBatcher<K, V>(run: BatchFunction<K, V>, options: BatcherOptions = {}): Batcher<K, V> {
  const loader = new DataLoader<K, V>((rows) => runWithRowRetry(run, rows), {
    cache: false,
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
