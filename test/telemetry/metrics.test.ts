import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICANT } from '../helpers/applicants.js';
import { registerInMemoryTelemetry, startTracedServer, type InMemoryTelemetry, type TracedServer } from '../helpers/otel.js';
import { bundledPipelines, fixture } from '../helpers/paths.js';
import { keysAround } from '../helpers/units.js';
import { LATENCY_BUCKETS_MS } from '../../src/telemetry/instruments.js';

/** One metric family as parse-prometheus-text-format (untyped CommonJS) returns it. */
interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }[];
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

let otel: InMemoryTelemetry;
let server: TracedServer;
/** The families as the parser reads them: names, types, descriptions. */
let families: Family[];
/**
 * Every sample line with its labels. parse-prometheus-text-format 1.1.1 loses the labels (and the
 * counts) of histograms that have labels besides `le` (yunyu/parse-prometheus-text-format#13), so
 * histograms are read a second time declared untyped: their `_count`, `_sum` and `_bucket` lines
 * then come back as plain labelled samples.
 */
let sampleFamilies: Family[];

/** The samples of one sample name (`tessera_node_duration_count`, `tessera_node_errors_total`). */
function samplesNamed(name: string): Family['metrics'] {
  return sampleFamilies.filter((f) => f.name === name).flatMap((f) => f.metrics);
}

/** Per series (the given labels, joined), the count of a histogram or the value of a counter or gauge. */
function series(name: string, labels: readonly string[]): Record<string, number> {
  const family = families.find((f) => f.name === name);
  if (!family) throw new Error(`No metric ${name}; have ${families.map((f) => f.name).join(', ')}`);
  const out: Record<string, number> = {};
  for (const metric of samplesNamed(family.type === 'HISTOGRAM' ? `${name}_count` : name)) {
    const key = labels.map((label) => metric.labels?.[label] ?? '-').join(' ');
    if (key in out) throw new Error(`Two series of ${name} for ${key}`);
    out[key] = Number(metric.value);
  }
  return out;
}

// Requests, sequential unless in one batch: who gets which version is known from the unit hash.
const { below: v1Keys, above: v2Keys } = keysAround('creditScore.repayment', 0.8, { below: 6, above: 3 }, 'metrics-');
const SCORE = 'query Score($input: CreditScoreInput!) { creditScore(input: $input) { score } }';
const BATCH = 'query Many($inputs: [CreditScoreInput!]!) { creditScoreBatch(inputs: $inputs) { decision } }';
const RATIO = 'query Ratio($input: RatioInput!) { ratio(input: $input) { doubled ratio total } }';
const GUARDED = 'query Guarded($input: GuardedInput!) { guarded(input: $input) { ratio } }';

beforeAll(async () => {
  otel = registerInMemoryTelemetry();
  server = await startTracedServer([bundledPipelines, fixture('failing'), fixture('fallback')], { telemetry: otel.telemetry });
  otel.telemetry.observeRollouts(() => server.engine.rollouts);

  // creditScore { score }, one at a time: 3 applicants on repayment v1, 1 on v2, 1 thin file (thinFile instead of repayment).
  for (const applicantId of [...v1Keys.slice(0, 3), v2Keys[0] as string]) {
    expect((await server.query(SCORE, { input: { ...APPLICANT, applicantId } })).errors).toBeUndefined();
  }
  expect((await server.query(SCORE, { input: { ...APPLICANT, applicantId: 'metrics-thin', creditHistoryMonths: 3 } })).errors).toBeUndefined();
  // creditScoreBatch { decision } of 5 rows (3 on v1, 2 on v2): one model run per node version.
  const rows = [...v1Keys.slice(3, 6), ...v2Keys.slice(1, 3)].map((applicantId) => ({ ...APPLICANT, applicantId }));
  expect((await server.query(BATCH, { inputs: rows })).errors).toBeUndefined();
  // ratio: 3 answered, 2 with a failing node (division by zero).
  for (const divisor of [1, 2, 0, 3, 0]) {
    const response = await server.query(RATIO, { input: { id: `ratio-${divisor}`, count: 4, divisor } });
    expect(response.errors?.map((e) => e.extensions?.code) ?? []).toEqual(divisor === 0 ? ['NODE_FAILED', 'UPSTREAM_FAILED'] : []);
  }

  // guarded: 1 answered by its node, 2 by the node's fallback (division by zero).
  for (const divisor of [2, 0, 0]) {
    const response = await server.query(GUARDED, { input: { id: `guarded-${divisor}`, count: 4, divisor } });
    expect(response).toEqual({ data: { guarded: { ratio: divisor === 0 ? 0 : 2 } } });
  }

  const response = await fetch(new URL('/metrics', server.url));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await response.text();
  families = parsePrometheus(text);
  sampleFamilies = parsePrometheus(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'));
});

afterAll(async () => {
  await server.close();
  await otel.telemetry.shutdown();
});

describe('GET /metrics', () => {
  it('comes from an SDK that the server set to hash each frozen attribute set once (src/server/attributeHashing.ts)', () => {
    const utils = createRequire(import.meta.url)('@opentelemetry/sdk-metrics/build/src/utils.js') as { hashAttributes: object };
    expect(Symbol.for('tessera.memoizedAttributeHash') in utils.hashAttributes).toBe(true);
  });

  it('serves every Tessera metric, in Prometheus text format, with its type and description', () => {
    expect(Object.fromEntries(families.map((f) => [f.name, f.type]))).toEqual({
      target_info: 'GAUGE',
      tessera_request_duration: 'HISTOGRAM',
      tessera_node_duration: 'HISTOGRAM',
      tessera_model_run_duration: 'HISTOGRAM',
      tessera_batch_size: 'HISTOGRAM',
      tessera_batch_queue_wait: 'HISTOGRAM',
      tessera_node_errors_total: 'COUNTER',
      tessera_version_requests_total: 'COUNTER',
      tessera_rollout_traffic_share: 'GAUGE',
      // No canary here: tessera_rollout_step has no series (test/telemetry/rolloutMetrics.test.ts has one).
      tessera_rollout_status: 'GAUGE',
    });
    expect(families.find((f) => f.name === 'tessera_batch_size')?.help).toBe('Rows per batched model run.');
    const tessera = sampleFamilies.filter((f) => f.name.startsWith('tessera_')).flatMap((f) => f.metrics);
    expect(tessera.length).toBeGreaterThan(0);
    for (const metric of tessera) expect(metric.labels?.otel_scope_name).toBe('tessera');
  });

  it('counts each pipeline run once, by pipeline and status', () => {
    expect(series('tessera_request_duration', ['tessera_pipeline', 'tessera_status'])).toEqual({
      'creditScore ok': 4 + 1 + 5,
      'ratio ok': 3,
      'ratio partial': 2,
      'guarded ok': 3,
    });
  });

  it('counts each node execution by version and variant; nodes that did not run are not counted', () => {
    const executions = {
      'creditScore debtToIncome v1 stable': 10,
      'creditScore loanToIncome v1 stable': 10,
      'creditScore defaultRisk v1 stable': 10,
      'creditScore repayment v1 control': 3 + 3,
      'creditScore repayment v2 treatment': 1 + 2,
      'creditScore thinFile v1 stable': 1,
      'creditScore affordability v1 stable': 10,
      'creditScore fraud v1 stable': 10,
      'creditScore score v1 stable': 10,
      'creditScore decision v1 stable': 5,
      'ratio double v1 stable': 5,
      'ratio ratio v1 stable': 5,
      // "summary" reads "ratio": it did not run where "ratio" failed.
      'ratio summary v1 stable': 3,
      // Counted once each, under the variant that answered.
      'guarded ratio v1 stable': 1,
      'guarded ratio v1 fallback': 2,
    };
    const labels = ['tessera_pipeline', 'tessera_node', 'tessera_version', 'tessera_variant'];
    expect(series('tessera_node_duration', labels)).toEqual(executions);
    expect(series('tessera_version_requests_total', labels)).toEqual(executions);
    // Every request that needed repayment went to exactly one of its versions.
    const requests = series('tessera_version_requests_total', labels);
    expect((requests['creditScore repayment v1 control'] ?? 0) + (requests['creditScore repayment v2 treatment'] ?? 0)).toBe(4 + 5);
    // A failure the fallback answered for still counts against the version that failed.
    expect(series('tessera_node_errors_total', [...labels, 'tessera_error_code'])).toEqual({
      'ratio ratio v1 stable NODE_FAILED': 2,
      'guarded ratio v1 stable NODE_FAILED': 2,
    });
  });

  it('marks a node its fallback answered for, with the error it recovered from, not as failed', () => {
    const spans = otel.exporter.getFinishedSpans();
    const runs = new Set(spans.filter((span) => span.name === 'tessera.pipeline guarded').map((span) => span.spanContext().spanId));
    const guarded = spans.filter((span) => span.name === 'tessera.node ratio' && runs.has(span.parentSpanContext?.spanId ?? ''));
    expect(guarded).toHaveLength(3);
    const fellBack = guarded.filter((span) => span.attributes['tessera.fallback'] !== undefined);
    expect(fellBack).toHaveLength(2);
    for (const span of fellBack) {
      expect(span.attributes['tessera.fallback']).toBe('fallback(error: value instead of v1)');
      // The role it was routed to; the answer's routing says "fallback".
      expect(span.attributes['tessera.variant']).toBe('stable');
      expect(span.status.code).toBe(0);
      expect(span.events.map((event) => [event.name, event.attributes?.['exception.type']])).toEqual([['exception', 'NODE_FAILED']]);
      expect(String(span.events[0]?.attributes?.['exception.message'])).toMatch(/ratio/);
    }
    const answered = guarded.filter((span) => span.attributes['tessera.fallback'] === undefined);
    expect(answered.map((span) => span.events)).toEqual([[]]);
  });

  it('buckets durations finely enough for a node that takes microseconds', () => {
    const debtToIncome = samplesNamed('tessera_node_duration_bucket').filter((m) => m.labels?.tessera_node === 'debtToIncome');
    expect(debtToIncome.map((m) => m.labels?.le)).toEqual([...LATENCY_BUCKETS_MS.map(String), '+Inf']);
    const under = (le: string) => Number(debtToIncome.find((m) => m.labels?.le === le)?.value);
    // A CEL expression over the input: its ten executions are seen below a millisecond (the SDK's
    // default buckets would only say "under 5 ms").
    expect(under('+Inf')).toBe(10);
    expect(under('1')).toBeGreaterThan(0);
  });

  it('counts model runs and the rows in them, as the model-run spans say', () => {
    // One run per single request and one per node version for the batch.
    const runs = { 'repayment v1': 3 + 1, 'repayment v2': 1 + 1, 'thinFile v1': 1, 'affordability v1': 5 + 1, 'fraud v1': 5 + 1 };
    const labels = ['tessera_node', 'tessera_version'];
    expect(series('tessera_batch_size', labels)).toEqual(runs);
    expect(series('tessera_model_run_duration', labels)).toEqual(runs);
    const spans = otel.exporter.getFinishedSpans().filter((s) => s.name.startsWith('tessera.model_run '));
    const fromSpans: Record<string, number> = {};
    const rowsFromSpans: Record<string, number> = {};
    for (const span of spans) {
      const key = `${String(span.attributes['tessera.node'])} ${String(span.attributes['tessera.version'])}`;
      fromSpans[key] = (fromSpans[key] ?? 0) + 1;
      rowsFromSpans[key] = (rowsFromSpans[key] ?? 0) + (span.attributes['tessera.batch.size'] as number);
    }
    expect(fromSpans).toEqual(runs);
    const rows = { 'repayment v1': 6, 'repayment v2': 3, 'thinFile v1': 1, 'affordability v1': 10, 'fraud v1': 10 };
    expect(rowsFromSpans).toEqual(rows);
    expect(series('tessera_batch_queue_wait', labels)).toEqual(rows);
    // Five runs of 1 row and one of 5, in the explicit buckets 1, 2, 4, 8, …
    const fraud = (m: Family['metrics'][number]) => m.labels?.tessera_node === 'fraud';
    expect(samplesNamed('tessera_batch_size_sum').filter(fraud).map((m) => Number(m.value))).toEqual([10]);
    const buckets = Object.fromEntries(samplesNamed('tessera_batch_size_bucket').filter(fraud).map((m) => [m.labels?.le, Number(m.value)]));
    expect(buckets).toEqual({ '1': 5, '2': 5, '4': 5, '8': 6, '16': 6, '32': 6, '64': 6, '128': 6, '256': 6, '512': 6, '1024': 6, '+Inf': 6 });
  });

  it('reports the traffic share each rollout policy gives each version', () => {
    const shares = series('tessera_rollout_traffic_share', ['tessera_pipeline', 'tessera_node', 'tessera_version', 'tessera_policy']);
    const fixed = (pipeline: string, node: string) => ({ [`${pipeline} ${node} v1 fixed`]: 1 });
    expect(shares).toEqual({
      ...['debtToIncome', 'loanToIncome', 'thinFile', 'defaultRisk', 'affordability', 'fraud', 'score', 'grade', 'decision'].reduce((all, node) => ({ ...all, ...fixed('creditScore', node) }), {}),
      'creditScore repayment v1 split': 0.8,
      'creditScore repayment v2 split': 0.2,
      ...fixed('ratio', 'double'),
      ...fixed('ratio', 'ratio'),
      ...fixed('ratio', 'summary'),
      ...fixed('guarded', 'ratio'),
    });
    const running = series('tessera_rollout_status', ['tessera_pipeline', 'tessera_node', 'tessera_status']);
    expect(running['creditScore repayment running']).toBe(1);
    expect(running['creditScore repayment paused']).toBe(0);
    expect(Object.values(running).filter((value) => value === 1)).toHaveLength(Object.keys(shares).length - 1);
  });
});
