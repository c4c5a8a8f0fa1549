import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBatcher } from '../../src/execution/batcher.js';

/** A batch function that records what it was given and answers row × 10, failing rows < 0. */
function recorder() {
  const batches: number[][] = [];
  let gate: Promise<void> = Promise.resolve();
  return {
    batches,
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return release;
    },
    run: async (rows: readonly number[]) => {
      batches.push([...rows]);
      await gate;
      if (rows.some((row) => row < 0)) throw new Error(`bad row in ${rows.join(',')}`);
      return rows.map((row) => row * 10);
    },
  };
}

describe('cross-request batching, on a virtual clock', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('by default joins the rows queued by the same code and runs them at once: no timer, no event-loop turn', async () => {
    const r = recorder();
    const batcher = createBatcher(r.run);
    const first = [1, 2, 3].map((row) => batcher.load(row));
    expect(r.batches).toEqual([]);
    // setImmediate and setTimeout are fake and never advanced: the batch must not need them.
    expect(await Promise.all(first)).toEqual([10, 20, 30]);
    expect(r.batches).toEqual([[1, 2, 3]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with maxWait, waits that long after the first row, then runs what came', async () => {
    const r = recorder();
    const batcher = createBatcher(r.run, { maxWaitMs: 5 });
    const a = batcher.load(1);
    await vi.advanceTimersByTimeAsync(4);
    const b = batcher.load(2);
    expect(r.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.batches).toEqual([[1, 2]]);
    expect(await Promise.all([a, b])).toEqual([10, 20]);
  });

  it('splits at maxBatchSize', async () => {
    const r = recorder();
    const batcher = createBatcher(r.run, { maxBatchSize: 2 });
    const all = [1, 2, 3, 4, 5].map((row) => batcher.load(row));
    await vi.runAllTimersAsync();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
    expect(r.batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('runs one batch at a time per model by default; rows that arrive meanwhile, turn after turn, make one batch', async () => {
    const r = recorder();
    const batcher = createBatcher(r.run);
    const release = r.hold();
    const first = batcher.load(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.batches).toEqual([[1]]);
    // Three I/O turns while the model is busy.
    const later: Promise<number>[] = [];
    for (const row of [2, 3, 4]) {
      later.push(batcher.load(row));
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(r.batches).toEqual([[1]]);
    release();
    expect(await first).toBe(10);
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('with concurrency 2 keeps two runs in flight; the rows behind them wait as one batch, split at maxBatchSize, in order', async () => {
    const r = recorder();
    const batcher = createBatcher(r.run, { concurrency: 2, maxBatchSize: 3 });
    const release = r.hold();
    const a = batcher.load(1);
    await vi.advanceTimersByTimeAsync(1);
    const b = batcher.load(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.batches).toEqual([[1], [2]]);
    const rest = [3, 4, 5, 6, 7].map((row) => batcher.load(row));
    await vi.advanceTimersByTimeAsync(1);
    expect(r.batches).toEqual([[1], [2]]);
    release();
    expect(await Promise.all([a, b, ...rest])).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(r.batches).toEqual([[1], [2], [3, 4, 5], [6, 7]]);
  });

  it('retries a failed batch row by row: only the bad row fails', async () => {
    const r = recorder();
    const batcher = createBatcher(r.run);
    const results = [1, -2, 3].map((row) => batcher.load(row).then((v) => v, (e: Error) => e.message));
    await vi.runAllTimersAsync();
    expect(await Promise.all(results)).toEqual([10, 'bad row in -2', 30]);
    expect(r.batches).toEqual([[1, -2, 3], [1], [-2], [3]]);
  });
});
