import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { APPLICANT } from '../helpers/applicants.js';
import { idOf, only, parentIdOf, registerInMemoryTelemetry, startTracedServer, tree, treeOf, waitForSpans, type InMemoryTelemetry, type SpanTree, type TracedServer } from '../helpers/otel.js';
import { bundledPipelines, fixture, repoRoot } from '../helpers/paths.js';
import { pipelineAttributes, SCORE_OPERATION_ATTRIBUTES } from '../helpers/scoreTrace.js';
import { keysAround } from '../helpers/units.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(path.join(repoRoot, file))).digest('hex');
const MODELS = 'examples/credit-score/models';

/** The nodes that run for `grade` and `decision` of an applicant with a credit history (no thinFile). */
const CREDIT_NODES = ['debtToIncome', 'loanToIncome', 'repayment', 'defaultRisk', 'affordability', 'fraud', 'score', 'grade', 'decision'] as const;

interface Timing {
  node: string;
  version: string;
  startMs: number;
  durationMs: number;
  queueWaitMs: number | null;
  batchSize: number | null;
}

let otel: InMemoryTelemetry;
let server: TracedServer;

beforeAll(async () => {
  otel = registerInMemoryTelemetry();
  server = await startTracedServer([bundledPipelines, fixture('failing'), fixture('telemetry-shadow'), fixture('telemetry-batched')], { telemetry: otel.telemetry });
});

afterAll(async () => {
  await server.close();
  await otel.telemetry.shutdown();
});

beforeEach(() => {
  otel.exporter.reset();
});

/** The spans of a request once its operation span (the last to end) has ended. */
const spansOf = (operation: string) => waitForSpans(otel.exporter, (spans) => spans.some((s) => s.name === operation));

const childrenNamed = (spans: readonly ReadableSpan[], parent: ReadableSpan, name: string) => spans.filter((s) => parentIdOf(s) === idOf(parent) && s.name === name);

describe('span tree of a request whose model runs are shared', () => {
  it('nests pipeline, node and model-run spans under the operation span, with exact attributes and links', async () => {
    // Two applicants on repayment v1 and one on v2: the rows of one request share each model run
    // of a version (fraud and affordability: one run of 3 rows; repayment: v1 of 2 rows, v2 of 1).
    const { below, above } = keysAround('creditScore.repayment', 0.8, { below: 2, above: 1 }, 'span-');
    const ids = [below[0], below[1], above[0]] as string[];
    const response = await server.query(
      `query Score($inputs: [CreditScoreInput!]!) {
        creditScoreBatch(inputs: $inputs) { requestId traceId grade decision timings { node version startMs durationMs queueWaitMs batchSize } }
      }`,
      { inputs: ids.map((applicantId) => ({ ...APPLICANT, applicantId })) },
    );
    expect(response.errors).toBeUndefined();
    const rows = response.data?.creditScoreBatch as { requestId: string; traceId: string; timings: Timing[] }[];
    const spans = await spansOf('query Score');

    const operation = only(spans, (s) => s.name === 'query Score', 'named "query Score"');
    const traceId = operation.spanContext().traceId;
    expect(operation.kind).toBe(SpanKind.SERVER);
    expect(operation.parentSpanContext).toBeUndefined();
    expect(operation.attributes).toEqual(SCORE_OPERATION_ATTRIBUTES);
    expect(operation.status).toEqual({ code: SpanStatusCode.UNSET });
    expect(rows.map((row) => row.traceId)).toEqual([traceId, traceId, traceId]);

    // The exact tree: each model run under the node span of the first row it served.
    const nodes = (runs: Partial<Record<(typeof CREDIT_NODES)[number], string>>): SpanTree[] =>
      CREDIT_NODES.map((id) => (runs[id] ? tree(`tessera.node ${id}`, tree(runs[id] as string)) : tree(`tessera.node ${id}`)));
    expect(treeOf(spans, operation)).toEqual(
      tree(
        'query Score',
        tree('tessera.pipeline creditScore', ...nodes({ repayment: 'tessera.model_run repayment@v1', affordability: 'tessera.model_run affordability@v1', fraud: 'tessera.model_run fraud@v1' })),
        tree('tessera.pipeline creditScore', ...nodes({})),
        tree('tessera.pipeline creditScore', ...nodes({ repayment: 'tessera.model_run repayment@v2' })),
      ),
    );
    expect(spans).toHaveLength(1 + 3 + 3 * CREDIT_NODES.length + 4);
    expect(spans.every((s) => s.spanContext().traceId === traceId)).toBe(true);

    // One pipeline span per row, named by its request id and its unit's hash.
    const pipelines = rows.map((row) => only(spans, (s) => s.attributes['tessera.request_id'] === row.requestId, `for request ${row.requestId}`));
    pipelines.forEach((pipeline, i) => {
      expect(pipeline.name).toBe('tessera.pipeline creditScore');
      expect(pipeline.kind).toBe(SpanKind.INTERNAL);
      expect(parentIdOf(pipeline)).toBe(idOf(operation));
      expect(pipeline.attributes).toEqual(pipelineAttributes(rows[i]?.requestId, ids[i] as string));
      expect(pipeline.status).toEqual({ code: SpanStatusCode.UNSET });
    });
    const nodeSpan = (row: number, id: string) => only(childrenNamed(spans, pipelines[row] as ReadableSpan, `tessera.node ${id}`), () => true, `of node ${id} in row ${row}`);
    const modelRun = (name: string) => only(spans, (s) => s.name === name, `named "${name}"`);

    // The model runs: a child of the first row's node span, linked to the node span of every row.
    const runs = [
      { run: modelRun('tessera.model_run fraud@v1'), node: 'fraud', version: 'v1', rows: [0, 1, 2] },
      { run: modelRun('tessera.model_run affordability@v1'), node: 'affordability', version: 'v1', rows: [0, 1, 2] },
      { run: modelRun('tessera.model_run repayment@v1'), node: 'repayment', version: 'v1', rows: [0, 1] },
      { run: modelRun('tessera.model_run repayment@v2'), node: 'repayment', version: 'v2', rows: [2] },
    ];
    for (const { run, node, version, rows: served } of runs) {
      const servedSpans = served.map((row) => nodeSpan(row, node));
      expect(run.kind).toBe(SpanKind.INTERNAL);
      expect(parentIdOf(run)).toBe(idOf(servedSpans[0] as ReadableSpan));
      expect(run.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId }))).toEqual(servedSpans.map((s) => ({ traceId, spanId: idOf(s) })));
      expect(run.attributes).toEqual({
        'tessera.node': node,
        'tessera.version': version,
        'tessera.batch.size': served.length,
        'tessera.batch.compute_ms': expect.any(Number),
        // The run's queue wait is the longest of its rows'.
        'tessera.batch.queue_wait_ms': Math.max(...servedSpans.map((s) => s.attributes['tessera.batch.queue_wait_ms'] as number)),
      });
      expect(run.status).toEqual({ code: SpanStatusCode.UNSET });
      for (const span of servedSpans) {
        expect(span.attributes).toMatchObject({
          'tessera.batch.size': served.length,
          'tessera.batch.compute_ms': run.attributes['tessera.batch.compute_ms'],
          'tessera.batch.trace_id': traceId,
          'tessera.batch.span_id': idOf(run),
        });
      }
    }

    // Every node span of the first request, attribute by attribute.
    const plan = server.engine.plan('creditScore');
    const definitionSha = (id: string) => plan.nodes[plan.indexOf(id)]?.def.versions[0]?.sha256;
    const pure = (id: string, kind: string) => ({
      'tessera.node': id,
      'tessera.node.kind': kind,
      'tessera.version': 'v1',
      'tessera.version.sha256': definitionSha(id),
      'tessera.policy': 'fixed(v1)',
      'tessera.variant': 'stable',
    });
    const batched = (id: string, run: ReadableSpan, size: number, model: string, policy: string, variant: string) => ({
      'tessera.node': id,
      'tessera.node.kind': 'onnx',
      'tessera.version': 'v1',
      'tessera.version.sha256': sha256(`${MODELS}/${model}`),
      'tessera.policy': policy,
      'tessera.variant': variant,
      'tessera.batch.size': size,
      'tessera.batch.queue_wait_ms': expect.any(Number),
      'tessera.batch.compute_ms': run.attributes['tessera.batch.compute_ms'],
      'tessera.batch.trace_id': traceId,
      'tessera.batch.span_id': idOf(run),
    });
    const expected: Record<(typeof CREDIT_NODES)[number], Record<string, unknown>> = {
      debtToIncome: pure('debtToIncome', 'expression'),
      loanToIncome: pure('loanToIncome', 'expression'),
      repayment: batched('repayment', runs[2]?.run as ReadableSpan, 2, 'repayment-v1.onnx', 'split(v1=80%,v2=20%)', 'control'),
      defaultRisk: pure('defaultRisk', 'switch'),
      affordability: batched('affordability', runs[1]?.run as ReadableSpan, 3, 'affordability.onnx', 'fixed(v1)', 'stable'),
      fraud: batched('fraud', runs[0]?.run as ReadableSpan, 3, 'fraud.onnx', 'fixed(v1)', 'stable'),
      score: pure('score', 'combiner'),
      grade: pure('grade', 'expression'),
      decision: pure('decision', 'expression'),
    };
    for (const id of CREDIT_NODES) {
      const span = nodeSpan(0, id);
      expect(span.kind).toBe(SpanKind.INTERNAL);
      expect(span.attributes).toEqual(expected[id]);
      expect(span.status).toEqual({ code: SpanStatusCode.UNSET });
    }
    expect(nodeSpan(2, 'repayment').attributes).toMatchObject({
      'tessera.version': 'v2',
      'tessera.version.sha256': sha256(`${MODELS}/repayment-v2.onnx`),
      'tessera.variant': 'treatment',
    });

    // The timings field says the same as the spans: the batch each model node joined.
    const timings = rows[0]?.timings as Timing[];
    expect(timings.map((t) => t.node).sort()).toEqual([...CREDIT_NODES].sort());
    for (const timing of timings) {
      const span = nodeSpan(0, timing.node);
      expect(timing).toEqual({
        node: timing.node,
        version: 'v1',
        startMs: expect.any(Number),
        durationMs: expect.any(Number),
        queueWaitMs: span.attributes['tessera.batch.queue_wait_ms'] ?? null,
        batchSize: span.attributes['tessera.batch.size'] ?? null,
      });
    }
  });

  it('links one model run to the node spans of concurrent HTTP requests, each in its own trace', async () => {
    // The node waits an hour (or three rows) for a batch: on a virtual clock, the run starts once
    // all three requests are queued, whatever the order they arrive in.
    const before = otel.started.names.filter((n) => n === 'tessera.node fraud').length;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let answers: { status: number; body: { data?: Record<string, unknown> | null } }[];
    try {
      const pending = ['h-1', 'h-2', 'h-3'].map((id, i) =>
        server.post('query One($input: BatchedFraudInput!) { batchedFraud(input: $input) { requestId traceId probability timings { batchSize } } }', {
          input: { id, emailAgeDays: 10 + i, annualIncome: 40000 },
        }),
      );
      await otel.started.waitFor('tessera.node fraud', before + 3);
      await vi.advanceTimersByTimeAsync(3_600_000);
      answers = await Promise.all(pending);
    } finally {
      vi.useRealTimers();
    }
    const results = answers.map((a) => a.body.data?.batchedFraud as { requestId: string; traceId: string; timings: { batchSize: number }[] });
    expect(results.map((r) => r.timings)).toEqual([[{ batchSize: 3 }], [{ batchSize: 3 }], [{ batchSize: 3 }]]);
    const spans = await waitForSpans(otel.exporter, (all) => all.filter((s) => s.name === 'query One').length === 3);
    const traceIds = results.map((r) => r.traceId);
    expect(new Set(traceIds).size).toBe(3);

    const run = only(spans, (s) => s.name === 'tessera.model_run fraud@v1', 'of the fraud model run');
    const nodeSpans = traceIds.map((traceId) => only(spans, (s) => s.name === 'tessera.node fraud' && s.spanContext().traceId === traceId, `of fraud in trace ${traceId}`));
    const link = (s: ReadableSpan) => ({ traceId: s.spanContext().traceId, spanId: idOf(s) });
    const links = run.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId }));
    expect([...links].sort((a, b) => a.traceId.localeCompare(b.traceId))).toEqual(nodeSpans.map(link).sort((a, b) => a.traceId.localeCompare(b.traceId)));
    // A child of the node span of the request that came first: in that request's trace.
    expect(run.spanContext().traceId).toBe(links[0]?.traceId);
    expect(parentIdOf(run)).toBe(links[0]?.spanId);
    expect(run.attributes['tessera.batch.size']).toBe(3);
    for (const span of nodeSpans) {
      expect(span.attributes).toMatchObject({ 'tessera.batch.size': 3, 'tessera.batch.trace_id': run.spanContext().traceId, 'tessera.batch.span_id': idOf(run) });
    }
    // Each request's own tree: operation, pipeline, node; the run hangs under the first one only.
    for (const traceId of traceIds) {
      const operation = only(spans, (s) => s.name === 'query One' && s.spanContext().traceId === traceId, `of the operation in trace ${traceId}`);
      const node = traceId === links[0]?.traceId ? tree('tessera.node fraud', tree('tessera.model_run fraud@v1')) : tree('tessera.node fraud');
      expect(treeOf(spans, operation)).toEqual(tree('query One', tree('tessera.pipeline batchedFraud', node)));
    }
  });
});

describe('a model run larger than the spec’s default of 128 links a span keeps', () => {
  it('links to the node span of every one of its 300 rows', async () => {
    const inputs = Array.from({ length: 300 }, (_, i) => ({ ...APPLICANT, applicantId: `many-${i}` }));
    const response = await server.query('query Many($inputs: [CreditScoreInput!]!) { creditScoreBatch(inputs: $inputs) { requestId decision } }', { inputs });
    expect(response.errors).toBeUndefined();
    const spans = await spansOf('query Many');
    const run = only(spans, (s) => s.name === 'tessera.model_run fraud@v1', 'of the fraud model run');
    expect(run.attributes['tessera.batch.size']).toBe(300);
    expect(run.droppedLinksCount).toBe(0);
    const fraudNodes = spans.filter((s) => s.name === 'tessera.node fraud').map(idOf);
    expect(fraudNodes).toHaveLength(300);
    expect(run.links.map((l) => l.context.spanId).sort()).toEqual(fraudNodes.sort());
  });
});

describe('span of a failing node', () => {
  it('is an error with the message and NODE_FAILED; the nodes it failed do not run, the request is not an error', async () => {
    const { status, body } = await server.post('query Ratio { ratio(input: { id: "r-1", count: 3, divisor: 0 }) { requestId doubled ratio total } }');
    expect(status).toBe(200);
    const message = body.errors?.find((e) => e.path?.[1] === 'ratio')?.message;
    expect(message).toBe('Node "ratio" (version v1) failed: division by zero');
    const spans = await spansOf('query Ratio');
    const operation = only(spans, (s) => s.name === 'query Ratio', 'of the operation');
    // "summary" reads the failed node: it never ran, so it has no span.
    expect(treeOf(spans, operation)).toEqual(tree('query Ratio', tree('tessera.pipeline ratio', tree('tessera.node double'), tree('tessera.node ratio'))));
    expect(spans).toHaveLength(4);
    const ratio = only(spans, (s) => s.name === 'tessera.node ratio', 'of node ratio');
    expect(ratio.status).toEqual({ code: SpanStatusCode.ERROR, message });
    expect(ratio.attributes).toEqual({
      'tessera.node': 'ratio',
      'tessera.node.kind': 'expression',
      'tessera.version': 'v1',
      'tessera.version.sha256': server.engine.plan('ratio').nodes[server.engine.plan('ratio').indexOf('ratio')]?.def.versions[0]?.sha256,
      'tessera.policy': 'fixed(v1)',
      'tessera.variant': 'stable',
      'tessera.error.code': 'NODE_FAILED',
    });
    const pipeline = only(spans, (s) => s.name === 'tessera.pipeline ratio', 'of the pipeline');
    expect(pipeline.attributes['tessera.status']).toBe('partial');
    expect(pipeline.attributes['tessera.request_id']).toBe((body.data?.ratio as { requestId: string }).requestId);
    expect(spans.filter((s) => s.status.code === SpanStatusCode.ERROR)).toEqual([ratio]);
    expect(operation.attributes['http.response.status_code']).toBe(200);
  });
});

describe('shadow spans', () => {
  it('marks the shadow runs, under the pipeline span; a failing shadow is an error of its own span only', async () => {
    const { status, body } = await server.post('query Shadow { shadowed(input: { id: "s-1", x: 2 }) { estimate fraudProbability traceId } }');
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data?.shadowed).toMatchObject({ estimate: 4 });
    // Shadows run after the answer is on its way: wait for both, and the shadow's model run.
    const spans = await waitForSpans(otel.exporter, (all) =>
      ['query Shadow', 'tessera.shadow estimate', 'tessera.shadow fraud', 'tessera.model_run fraud@v2'].every((name) => all.some((s) => s.name === name)),
    );
    const operation = only(spans, (s) => s.name === 'query Shadow', 'of the operation');
    expect((body.data?.shadowed as { traceId: string }).traceId).toBe(operation.spanContext().traceId);
    expect(treeOf(spans, operation)).toEqual(
      tree(
        'query Shadow',
        tree(
          'tessera.pipeline shadowed',
          tree('tessera.node estimate'),
          tree('tessera.node fraud', tree('tessera.model_run fraud@v1')),
          tree('tessera.shadow estimate'),
          tree('tessera.shadow fraud', tree('tessera.model_run fraud@v2')),
        ),
      ),
    );
    expect(spans).toHaveLength(8);
    const shadowEstimate = only(spans, (s) => s.name === 'tessera.shadow estimate', 'of the estimate shadow');
    expect(shadowEstimate.attributes).toEqual({ 'tessera.node': 'estimate', 'tessera.node.kind': 'expression', 'tessera.version': 'v2', 'tessera.variant': 'shadow', 'tessera.shadow': true });
    expect(shadowEstimate.status.code).toBe(SpanStatusCode.ERROR);
    expect(shadowEstimate.status.message).toMatch(/division by zero/);
    const shadowFraud = only(spans, (s) => s.name === 'tessera.shadow fraud', 'of the fraud shadow');
    expect(shadowFraud.attributes).toEqual({ 'tessera.node': 'fraud', 'tessera.node.kind': 'onnx', 'tessera.version': 'v2', 'tessera.variant': 'shadow', 'tessera.shadow': true });
    expect(shadowFraud.status).toEqual({ code: SpanStatusCode.UNSET });
    const shadowRun = only(spans, (s) => s.name === 'tessera.model_run fraud@v2', 'of the shadow model run');
    expect(shadowRun.links.map((l) => l.context.spanId)).toEqual([idOf(shadowFraud)]);
    // The request's own spans: the primary answered, nothing of the request is an error.
    const estimate = only(spans, (s) => s.name === 'tessera.node estimate', 'of node estimate');
    expect(estimate.attributes).toMatchObject({ 'tessera.version': 'v1', 'tessera.policy': 'shadow(v1, mirror v2 100%)', 'tessera.variant': 'primary' });
    expect(spans.filter((s) => s.status.code !== SpanStatusCode.UNSET)).toEqual([shadowEstimate]);
    expect(only(spans, (s) => s.name === 'tessera.pipeline shadowed', 'of the pipeline').attributes['tessera.status']).toBe('ok');
  });
});
