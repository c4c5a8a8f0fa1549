/**
 * The engine's telemetry, through `@opentelemetry/api` only: it registers nothing. Without a
 * registered SDK every call is a no-op; with tracing turned off (`tracing: false`) the engine does
 * not call the tracing API at all.
 */
import { metrics, trace, type Attributes, type Counter, type Histogram, type Meter, type Tracer } from '@opentelemetry/api';
import { Metric, SCOPE } from './attributes.js';

/** The tracer, resolved at each use so that an SDK registered later is honoured. */
export function tracer(): Tracer {
  return trace.getTracer(SCOPE);
}

/** The engine's metric instruments. */
export interface Instruments {
  readonly requestDuration: Histogram;
  readonly nodeDuration: Histogram;
  readonly modelRunDuration: Histogram;
  readonly nodeErrors: Counter;
  readonly batchSize: Histogram;
  readonly queueWait: Histogram;
  /** Counts one execution of a node version (attributes: one object per version and variant, reused). */
  countVersion(attributes: Attributes): void;
}

/**
 * Executions per node version, counted here and read by the SDK at each collection: the busiest
 * counter (every node of every request) costs an increment instead of a recording, whose
 * attribute hashing made it the metrics' largest cost. Process-wide, like the SDK's own counters:
 * one series per attribute set, however many engines (reloads) counted into it.
 */
const versionCounts = new Map<string, { readonly attributes: Attributes; count: number }>();
/** Each reused attributes object's series key, computed once. */
const seriesKeys = new WeakMap<Attributes, string>();
const observedBy = new WeakSet<Meter>();

function countVersion(attributes: Attributes): void {
  let key = seriesKeys.get(attributes);
  if (key === undefined) seriesKeys.set(attributes, (key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)))));
  const series = versionCounts.get(key);
  if (series) series.count++;
  else versionCounts.set(key, { attributes, count: 1 });
}

/**
 * Bucket boundaries of the duration histograms, in milliseconds: a node or a model run takes
 * microseconds to milliseconds, which the SDK's default buckets (0, 5, 10, … 10,000) would put all
 * in the first, leaving quantiles nothing to read.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/**
 * Instruments from the global MeterProvider at the time of the call. The metrics API hands out
 * no-op meters before an SDK is registered and does not upgrade them later: create these after
 * registration (the server does).
 */
export function createInstruments(): Instruments {
  const meter = metrics.getMeter(SCOPE);
  observeVersionCounts(meter);
  const ms = { unit: 'ms', advice: { explicitBucketBoundaries: [...LATENCY_BUCKETS_MS] } };
  return {
    requestDuration: meter.createHistogram(Metric.requestDuration, { ...ms, description: 'Time from the start of a pipeline run to its last node.' }),
    nodeDuration: meter.createHistogram(Metric.nodeDuration, { ...ms, description: 'Time of one node execution, including batch queueing.' }),
    modelRunDuration: meter.createHistogram(Metric.modelRunDuration, { ...ms, description: 'Time of one batched model run (session.run).' }),
    nodeErrors: meter.createCounter(Metric.nodeErrors, { description: 'Node executions that failed or timed out.' }),
    batchSize: meter.createHistogram(Metric.batchSize, {
      description: 'Rows per batched model run.',
      advice: { explicitBucketBoundaries: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] },
    }),
    queueWait: meter.createHistogram(Metric.queueWait, { ...ms, description: 'Time a row waited for its batch to start.' }),
    countVersion,
  };
}

function observeVersionCounts(meter: Meter): void {
  if (observedBy.has(meter)) return;
  observedBy.add(meter);
  meter.createObservableCounter(Metric.versionRequests, { description: 'Executions per node version: the traffic each version gets.' }).addCallback((result) => {
    for (const { attributes, count } of versionCounts.values()) result.observe(count, attributes);
  });
}
