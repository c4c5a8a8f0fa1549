import { context, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { hash } from 'node:crypto';
import type { TesseraError } from '../errors/index.js';
import type { NodeOutputs } from '../nodes/types.js';
import type { PipelinePlan, PlannedNode } from '../plan/plan.js';
import { Attr, SpanName } from './attributes.js';
import { batchOf, type BatchInfo } from './batch.js';
import { tracer, type Instruments } from './instruments.js';

/** How an engine observes its runs. */
export interface EngineTelemetry {
  /** Call the tracing API at all (false: the code paths are skipped, for comparison). */
  readonly tracing: boolean;
  readonly instruments: Instruments;
}

/** One node's timing in a run, as the `timings` field shows it. */
export interface NodeTiming {
  readonly node: string;
  readonly version: string;
  /** From the start of the run. */
  readonly startMs: number;
  readonly durationMs: number;
  readonly queueWaitMs: number | null;
  readonly batchSize: number | null;
}

/**
 * The telemetry of one pipeline run: its span and its nodes' spans (only when a tracer records:
 * an unsampled or untraced request creates one non-recording span and nothing else), per-node
 * timings for the answer, and the metrics.
 */
export class RunTelemetry {
  readonly #plan: PipelinePlan;
  readonly #engine: EngineTelemetry;
  readonly #started = performance.now();
  readonly #span: Span | undefined;
  readonly #context: Context | undefined;
  /**
   * Per node: when it started (`performance.now()`), how long it took (−1 while it runs or if it
   * never started), the version that answered and the batch it joined. Columns, not an object per node.
   */
  readonly #starts: number[];
  readonly #durations: number[];
  readonly #versions: (string | undefined)[];
  readonly #batches: (BatchInfo | undefined)[];
  /** Per node, its span while it runs (only when the run is traced). */
  readonly #spans: (Span | undefined)[] | undefined;

  constructor(plan: PipelinePlan, engine: EngineTelemetry, requestId: string, unitKey: string, traceContext?: Context) {
    this.#plan = plan;
    this.#engine = engine;
    const size = plan.nodes.length;
    // Plain arrays: a Float64Array this size keeps its bytes off the heap, three times the cost to create.
    this.#starts = new Array<number>(size);
    this.#durations = new Array<number>(size).fill(-1);
    this.#versions = new Array(size);
    this.#batches = new Array(size);
    if (!engine.tracing) return;
    const parent = traceContext ?? context.active();
    const span = tracer().startSpan(SpanName.pipeline(plan.name), {}, parent);
    if (!span.isRecording()) return;
    span.setAttributes({
      [Attr.pipeline]: plan.name,
      [Attr.requestId]: requestId,
      [Attr.routingKeyHash]: hash('sha256', unitKey, 'hex').slice(0, 16),
    });
    this.#span = span;
    this.#context = trace.setSpan(parent, span);
    this.#spans = new Array(plan.nodes.length);
  }

  /** The trace this run belongs to, when it is traced. */
  get traceId(): string | null {
    return this.#span?.spanContext().traceId ?? null;
  }

  /** Whether the run records spans (callers skip `within` when it does not). */
  get traced(): boolean {
    return this.#spans !== undefined;
  }

  nodeStarted(node: PlannedNode, decision: RoutingDecisionLike): void {
    this.#starts[node.index] = performance.now();
    this.#versions[node.index] = decision.version;
    if (!this.#spans) return;
    const { name, attributes } = nodeSpanOptions(node, decision);
    this.#spans[node.index] = tracer().startSpan(name, { attributes }, this.#context);
  }

  /**
   * Runs `fn` with the node's span active, so that the model batcher can link to it: only for an
   * executor that reads it (`readsActiveSpan`), the others run as they are.
   */
  within<T>(node: PlannedNode, fn: () => T): T {
    const span = this.#spans?.[node.index];
    return span && node.executor.readsActiveSpan ? context.with(trace.setSpan(this.#context as Context, span), fn) : fn();
  }

  nodeFinished(node: PlannedNode, decision: RoutingDecisionLike, outputs: NodeOutputs | undefined, error: TesseraError | undefined): void {
    const index = node.index;
    const duration = performance.now() - (this.#starts[index] as number);
    const batch = batchOf(outputs);
    this.#versions[index] = decision.version;
    this.#durations[index] = duration;
    this.#batches[index] = batch;
    const attributes = metricAttributes(this.#plan.name, node, decision.version, decision.variant);
    const instruments = this.#engine.instruments;
    instruments.nodeDuration.record(duration, attributes);
    instruments.countVersion(attributes);
    if (error) instruments.nodeErrors.add(1, { ...attributes, [Attr.errorCode]: error.code });
    const span = this.#spans?.[node.index];
    if (!span) return;
    if (decision.variant === 'fallback') span.setAttributes({ [Attr.fallback]: decision.policy, [Attr.version]: decision.version, [Attr.versionSha256]: decision.sha256 });
    if (batch) {
      span.setAttributes({ [Attr.batchSize]: batch.size, [Attr.batchQueueWaitMs]: batch.queueWaitMs, [Attr.batchComputeMs]: batch.computeMs });
      if (batch.span) span.setAttributes({ [Attr.batchTraceId]: batch.span.traceId, [Attr.batchSpanId]: batch.span.spanId });
    }
    if (error) {
      span.setAttribute(Attr.errorCode, error.code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    span.end();
  }

  /**
   * The version routed to failed or timed out and the node's fallback answers instead: the error
   * counts against that version (the node itself is counted once, when it finishes, under the
   * version that answered), and the node's span records it as an exception, its status unset,
   * since the node did answer.
   */
  nodeFellBack(node: PlannedNode, original: RoutingDecisionLike, error: TesseraError): void {
    const attributes = metricAttributes(this.#plan.name, node, original.version, original.variant);
    this.#engine.instruments.nodeErrors.add(1, { ...attributes, [Attr.errorCode]: error.code });
    this.#spans?.[node.index]?.recordException({ code: error.code, message: error.message });
  }

  /**
   * A shadow execution: a span of its own, marked, under the run (never under a node of the
   * request, and never an error of it).
   */
  shadowStarted(node: PlannedNode, version: string): { end(error?: unknown): void; within<T>(fn: () => T): T } {
    if (!this.#context) return { end: () => {}, within: (fn) => fn() };
    const span = tracer().startSpan(
      SpanName.shadow(node.def.id),
      { attributes: { [Attr.node]: node.def.id, [Attr.nodeKind]: node.def.kind, [Attr.version]: version, [Attr.variant]: 'shadow', [Attr.shadow]: true } },
      this.#context,
    );
    const spanContext = trace.setSpan(this.#context, span);
    return {
      within: (fn) => context.with(spanContext, fn),
      end: (error) => {
        if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        span.end();
      },
    };
  }

  /** The run is over: its span ends, and the request duration is recorded. */
  finished(failed: boolean): void {
    this.#engine.instruments.requestDuration.record(performance.now() - this.#started, requestAttributes(this.#plan.name, failed));
    if (!this.#span) return;
    this.#span.setAttribute(Attr.status, failed ? 'partial' : 'ok');
    this.#span.end();
  }

  /** The timings of the nodes that ran (and finished), in the order they started. */
  timings(): NodeTiming[] {
    const timings: NodeTiming[] = [];
    for (let index = 0; index < this.#durations.length; index++) {
      const duration = this.#durations[index] as number;
      if (duration < 0) continue;
      const batch = this.#batches[index];
      timings.push({
        node: (this.#plan.nodes[index] as PlannedNode).def.id,
        version: this.#versions[index] as string,
        startMs: (this.#starts[index] as number) - this.#started,
        durationMs: duration,
        queueWaitMs: batch?.queueWaitMs ?? null,
        batchSize: batch?.size ?? null,
      });
    }
    return timings.sort((a, b) => a.startMs - b.startMs);
  }
}

/** What telemetry reads of a routing decision. */
interface RoutingDecisionLike {
  readonly version: string;
  readonly sha256: string;
  readonly policy: string;
  readonly variant: string;
}

/** A node span's name and attributes, once per planned node and routing decision (decisions are shared by the requests they describe). */
const nodeSpanCache = new WeakMap<PlannedNode, { name: string; byDecision: WeakMap<RoutingDecisionLike, Attributes> }>();

function nodeSpanOptions(node: PlannedNode, decision: RoutingDecisionLike): { name: string; attributes: Attributes } {
  let cached = nodeSpanCache.get(node);
  if (!cached) nodeSpanCache.set(node, (cached = { name: SpanName.node(node.def.id), byDecision: new WeakMap() }));
  let attributes = cached.byDecision.get(decision);
  if (!attributes) {
    attributes = Object.freeze({
      [Attr.node]: node.def.id,
      [Attr.nodeKind]: node.def.kind,
      [Attr.version]: decision.version,
      [Attr.versionSha256]: decision.sha256,
      [Attr.policy]: decision.policy,
      [Attr.variant]: decision.variant,
    });
    cached.byDecision.set(decision, attributes);
  }
  return { name: cached.name, attributes };
}

/** Per planned node, per version, per variant. */
const attributeCache = new WeakMap<PlannedNode, Map<string, Map<string, Attributes>>>();

/**
 * Metric attributes per node version and variant, built once and frozen: they are on every
 * execution, and the same unchangeable object each time lets counters key on it and the server's
 * metrics SDK hash it once (src/server/attributeHashing.ts).
 */
function metricAttributes(pipeline: string, node: PlannedNode, version: string, variant: string): Attributes {
  let versions = attributeCache.get(node);
  if (!versions) attributeCache.set(node, (versions = new Map()));
  let variants = versions.get(version);
  if (!variants) versions.set(version, (variants = new Map()));
  let attributes = variants.get(variant);
  if (!attributes) variants.set(variant, (attributes = Object.freeze({ [Attr.pipeline]: pipeline, [Attr.node]: node.def.id, [Attr.version]: version, [Attr.variant]: variant })));
  return attributes;
}

const requestAttributeCache = new Map<string, Attributes>();

/** The request duration's attributes, built once per pipeline and status and frozen, like `metricAttributes`. */
function requestAttributes(pipeline: string, failed: boolean): Attributes {
  const key = `${pipeline}\u0000${failed}`;
  let attributes = requestAttributeCache.get(key);
  if (!attributes) requestAttributeCache.set(key, (attributes = Object.freeze({ [Attr.pipeline]: pipeline, [Attr.status]: failed ? 'partial' : 'ok' })));
  return attributes;
}
