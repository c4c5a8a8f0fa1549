import { AsyncLocalStorage } from 'node:async_hooks';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPipelines } from '../../src/definition/load.js';
import type { Value } from '../../src/definition/types.js';
import { createBatcher } from '../../src/execution/batcher.js';
import { createEngine, type Engine } from '../../src/execution/engine.js';
import { coerceInput } from '../../src/execution/input.js';
import { APPLICANT } from '../helpers/applicants.js';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { idOf, only, parentIdOf } from '../helpers/otel.js';
import { bundledPipelines } from '../helpers/paths.js';

/** Turns the event loop until `done()` (no time passes on any clock). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('AsyncLocalStorage through the batcher and its concurrency limit', () => {
  it('gives every caller its own value back after its batch resolves, with batches queued behind one another', async () => {
    const als = new AsyncLocalStorage<string>();
    const runs: { rows: number[]; release: () => void }[] = [];
    // One run at a time (p-limit), two rows a run: three runs, the last two queued in the limit.
    const batcher = createBatcher<number, number>(
      (rows) => new Promise((resolve) => runs.push({ rows: [...rows], release: () => resolve(rows.map((row) => row * 10)) })),
      { concurrency: 1, maxBatchSize: 2 },
    );
    const values = ['a', 'b', 'c', 'd', 'e'];
    const callers = values.map((value, row) =>
      als.run(value, async () => {
        const out = await batcher.load(row);
        const afterAwait = als.getStore();
        await new Promise<void>((resolve) => setImmediate(resolve));
        return { out, afterAwait, later: als.getStore() };
      }),
    );
    await until(() => runs.length === 1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(runs.map((r) => r.rows)).toEqual([[0, 1]]);
    runs[0]?.release();
    await until(() => runs.length === 2);
    expect(runs.map((r) => r.rows)).toEqual([[0, 1], [2, 3]]);
    runs[1]?.release();
    await until(() => runs.length === 3);
    runs[2]?.release();
    expect(await Promise.all(callers)).toEqual(values.map((value, row) => ({ out: row * 10, afterAwait: value, later: value })));
  });

  it('keeps each caller’s value when a failed batch is retried row by row', async () => {
    const als = new AsyncLocalStorage<string>();
    const batches: number[][] = [];
    const batcher = createBatcher<number, number>(
      async (rows) => {
        batches.push([...rows]);
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (rows.some((row) => row < 0)) throw new Error(`bad row in ${rows.join(',')}`);
        return rows.map((row) => row * 10);
      },
      { concurrency: 1 },
    );
    const callers = [
      ['x', 1],
      ['y', -1],
      ['z', 2],
    ].map(([value, row]) =>
      als.run(value as string, () =>
        batcher.load(row as number).then(
          (out) => ({ out, seen: als.getStore() }),
          (error: unknown) => ({ out: (error as Error).message, seen: als.getStore() }),
        ),
      ),
    );
    expect(await Promise.all(callers)).toEqual([
      { out: 10, seen: 'x' },
      { out: 'bad row in -1', seen: 'y' },
      { out: 20, seen: 'z' },
    ]);
    expect(batches).toEqual([[1, -1, 2], [1], [-1], [2]]);
  });
});

// As a library user would have it: their own SDK, registered with its default context manager
// (AsyncLocalStorage), and Tessera's spans nesting under whatever span is active when they call it.
describe('AsyncLocalStorage and the active span through a real ONNX node, in a service of one’s own', () => {
  const otel = { exporter: new InMemorySpanExporter() };
  let provider: NodeTracerProvider;
  let engine: Engine;
  beforeAll(async () => {
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(otel.exporter)] });
    provider.register();
    engine = createEngine(await assertPipelines(bundledPipelines));
  });
  afterAll(async () => {
    await engine.rollouts.close();
    await engine.close();
    await provider.shutdown();
  });

  it('gives each of several requests in one model run its own value and its own span, and nests its spans under its caller', async () => {
    otel.exporter.reset();
    const als = new AsyncLocalStorage<string>();
    const plan = engine.plan('creditScore');
    const fraud = plan.indexOf('fraud');
    const tracer = trace.getTracer('context-test');
    const request = (value: string) => {
      const checked = coerceInput(plan.input, { ...APPLICANT, applicantId: value });
      if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
      const caller = tracer.startSpan(`caller ${value}`);
      return context.with(trace.setSpan(ROOT_CONTEXT, caller), () =>
        als.run(value, async () => {
          const run = engine.start(plan, checked.value as Record<string, Value>, [fraud]);
          await run.settled();
          const seen = { value: als.getStore(), span: trace.getActiveSpan() };
          caller.end();
          return { value, seen, caller, traceId: run.traceId, timings: run.timings() };
        }),
      );
    };
    // Started in one turn of the event loop: one fraud run serves all three.
    const results = await Promise.all(['u-1', 'u-2', 'u-3'].map(request));
    for (const result of results) {
      expect(result.seen.value).toBe(result.value);
      expect(result.seen.span).toBe(result.caller);
      expect(result.traceId).toBe(result.caller.spanContext().traceId);
      expect(result.timings.map((t) => ({ node: t.node, batchSize: t.batchSize }))).toEqual([{ node: 'fraud', batchSize: 3 }]);
    }

    const spans = otel.exporter.getFinishedSpans();
    const run = only(spans, (s) => s.name === 'tessera.model_run fraud@v1', 'of the fraud run');
    const nodeSpans = results.map((result) => {
      const traceId = result.caller.spanContext().traceId;
      const pipeline = only(spans, (s) => s.name === 'tessera.pipeline creditScore' && s.spanContext().traceId === traceId, `of the pipeline in ${traceId}`);
      expect(parentIdOf(pipeline)).toBe(result.caller.spanContext().spanId);
      const node = only(spans, (s) => s.name === 'tessera.node fraud' && s.spanContext().traceId === traceId, `of fraud in ${traceId}`);
      expect(parentIdOf(node)).toBe(idOf(pipeline));
      return node;
    });
    expect(run.links.map((l) => l.context.spanId)).toEqual(nodeSpans.map(idOf));
    expect(parentIdOf(run)).toBe(idOf(nodeSpans[0] as (typeof nodeSpans)[number]));
  });
});
