/**
 * The server registers OpenTelemetry (the engine only uses the API): spans recorded by Tessera's
 * tracer provider (`./tracer.ts`) and exported by the SDK's batch processors and exporters as the
 * standard `OTEL_*` variables say, optionally to Zipkin and to an OTLP JSON lines file; the SDK's
 * diagnostics in the server's log; metrics served in Prometheus text format at /metrics.
 */
import { randomFillSync } from 'node:crypto';
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics, ROOT_CONTEXT, type Attributes, type Context, type ContextManager } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { JsonTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ConsoleSpanExporter, type IdGenerator, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { didYouMean } from '../errors/index.js';
import { ROLLOUT_STATUSES, type RolloutManager } from '../routing/rollouts/index.js';
import { Attr, Metric, SCOPE } from '../telemetry/attributes.js';
import { memoizeFrozenAttributeHashes } from './attributeHashing.js';
import { forwardDiagnostics } from './diagnostics.js';
import type { Logger } from './logger.js';
import { createProtobufTraceSerializer } from './otlpProtobuf.js';
import { RecordingTracerProvider, samplerFromEnv, spanLimitsFromEnv } from './tracer.js';

export interface TelemetryOptions {
  /** Also write every span as OTLP JSON, one export request per line. */
  readonly traceFile?: string;
  /**
   * Where the OpenTelemetry SDK's warnings and errors go (a failed export, spans dropped from a full
   * export queue): each kind at once, then at most once a minute with a count of repeats
   * (`./diagnostics.ts`). Without one they are not reported.
   */
  readonly logger?: Logger;
  /** Extra span processors (tests use an in-memory exporter). */
  readonly spanProcessors?: readonly SpanProcessor[];
  /**
   * Environment that picks the trace exporters, the OTLP protocol, the sampler and the span limits
   * (`OTEL_TRACES_EXPORTER`, `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` and `_PROTOCOL`,
   * `OTEL_TRACES_SAMPLER` and `_ARG`, `OTEL_SPAN_*_LIMIT`; default process.env). The exporters and
   * the resource read the rest of `OTEL_*` (endpoint, headers, batching, service name, resource
   * attributes) from process.env themselves.
   */
  readonly env?: NodeJS.ProcessEnv;
}

/** What the server needs of registered telemetry. */
export interface RegisteredTelemetry {
  /** Where traces go, for the start-up log. */
  readonly destinations: readonly string[];
  /** Whether a tracer is registered: false when spans would have nowhere to go. */
  readonly tracing: boolean;
  /** Serves Prometheus text. */
  metricsHandler(request: IncomingMessage, response: ServerResponse): void;
  /** Reports rollout traffic shares as a gauge. */
  observeRollouts(rollouts: () => RolloutManager): void;
  /** Flushes what is buffered and stops the providers. */
  shutdown(): Promise<void>;
}

type RolloutSnapshot = ReturnType<RolloutManager['snapshot']>[number];

/** Spans each exporter's batch processor holds, unless `OTEL_BSP_MAX_QUEUE_SIZE` is set. */
const DEFAULT_QUEUE_SIZE = 16_384;

/** The values of `OTEL_TRACES_EXPORTER` that Tessera knows (`none`: only `--trace-file`, if given). */
const TRACE_EXPORTERS: readonly string[] = ['otlp', 'zipkin', 'console', 'none'];

/**
 * Registers tracer and meter providers globally. Trace exporters come from the environment:
 * `OTEL_TRACES_EXPORTER` (otlp, zipkin, console, none; comma-separated), or OTLP when an
 * `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` is set; the OTLP protocol from
 * `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL` (http/protobuf, the default, or http/json). The exporters
 * read their endpoint and headers from the environment; the sampler comes from
 * `OTEL_TRACES_SAMPLER`/`_ARG` (a bad value stops the start-up); the service name and resource
 * attributes from `OTEL_SERVICE_NAME`/`OTEL_RESOURCE_ATTRIBUTES` (service name default `tessera`).
 * Spans are recorded by Tessera's tracer provider (`./tracer.ts`) into the SDK's processors.
 */
export function registerTelemetry(options: TelemetryOptions = {}): RegisteredTelemetry {
  const env = options.env ?? process.env;
  // Read first, and even when nothing is exported: a misspelt variable stops the start-up before
  // anything is opened or registered.
  const sampler = samplerFromEnv(env);
  const spanLimits = spanLimitsFromEnv(env);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'tessera' }))
    .merge(detectResources({ detectors: [envDetector] }));
  const exporters: { name: string; exporter: SpanExporter }[] = [];
  const requested = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  // A misspelt exporter would otherwise leave the server silently exporting nothing.
  const unknown = requested.filter((name) => !TRACE_EXPORTERS.includes(name));
  if (unknown.length > 0) {
    throw new Error(`OTEL_TRACES_EXPORTER takes ${TRACE_EXPORTERS.join(', ')} (comma-separated); got "${unknown.join(', ')}".${didYouMean(unknown[0] as string, TRACE_EXPORTERS)}`);
  }
  const otlpEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (requested.includes('otlp') || (requested.length === 0 && otlpEndpoint)) {
    const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
    if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
      throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json; got "${protocol}" (gRPC is not supported).`);
    }
    exporters.push({ name: `OTLP ${protocol} ${otlpEndpoint ?? 'http://localhost:4318'}`, exporter: protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter() });
  }
  if (requested.includes('zipkin')) {
    exporters.push({ name: `Zipkin ${env.OTEL_EXPORTER_ZIPKIN_ENDPOINT ?? 'http://localhost:9411/api/v2/spans'}`, exporter: new ZipkinExporter() });
  }
  if (requested.includes('console')) exporters.push({ name: 'console (stdout)', exporter: new ConsoleSpanExporter() });
  if (options.traceFile) exporters.push({ name: `OTLP JSON lines ${options.traceFile}`, exporter: new JsonLinesExporter(options.traceFile) });
  if (options.logger) forwardDiagnostics(options.logger);
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  // Each exporter's queue reports at /metrics: spans exported, failed and dropped from a full queue
  // (otel_sdk_processor_span_processed_total by error_type), and the queue's size and capacity.
  // (The option is the base processor's, which the shim passes on but does not declare.) The
  // queue holds 16,384 spans unless OTEL_BSP_MAX_QUEUE_SIZE says otherwise: a request has about a
  // dozen spans, and the spec's 2,048 (about 170 requests) overflowed while one export was in flight.
  // (process.env, not `env`: the SDK's processor reads the variable from there.)
  const batching = () =>
    ({ selfObsMeterProvider: meterProvider, ...(process.env.OTEL_BSP_MAX_QUEUE_SIZE?.trim() ? {} : { maxQueueSize: DEFAULT_QUEUE_SIZE }) }) as ConstructorParameters<typeof BatchSpanProcessor>[1];
  const processors = [...exporters.map((e) => new BatchSpanProcessor(e.exporter, batching())), ...(options.spanProcessors ?? [])];
  // With nowhere to send spans, no tracer is registered: the API stays a no-op and tracing costs
  // next to nothing (no trace ids either; an incoming traceparent is then not continued).
  const tracerProvider =
    processors.length > 0
      ? new RecordingTracerProvider({ resource, sampler, spanLimits, spanProcessors: processors, idGenerator: new PooledIdGenerator() })
      : undefined;
  tracerProvider?.register(new SynchronousContextManager());
  memoizeFrozenAttributeHashes();
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    destinations: exporters.map((e) => e.name),
    tracing: tracerProvider !== undefined,
    metricsHandler: (request, response) => prometheus.getMetricsRequestHandler(request, response),
    observeRollouts(rollouts) {
      // Labels that change while the process runs would leave their old series behind: the SDK keeps
      // reporting an observable's series at their last value once a callback stops observing them.
      // So the status is not a label of the share and the step, but a gauge of its own with one
      // series per status, 1 for the current one and 0 for the others (as kube-state-metrics does).
      const meter = metrics.getMeter(SCOPE);
      // A gauge over every rollout: `each` observes values with the attributes that add to the rollout's.
      const gauge = (name: string, description: string, each: (rollout: RolloutSnapshot, observe: (value: number, attributes: Attributes) => void) => void) =>
        meter.createObservableGauge(name, { description }).addCallback((result) => {
          for (const rollout of rollouts().snapshot()) each(rollout, (value, attributes) => result.observe(value, { [Attr.pipeline]: rollout.pipeline, [Attr.node]: rollout.node, [Attr.policy]: rollout.policy, ...attributes }));
        });
      gauge(Metric.trafficShare, 'Share of traffic each version gets under its rollout policy (0 to 1).', (rollout, observe) => {
        for (const { version, share } of rollout.traffic) observe(share, { [Attr.version]: version });
      });
      gauge(Metric.rolloutStatus, 'A rollout’s status: 1 for the current one, 0 for the others.', (rollout, observe) => {
        for (const status of ROLLOUT_STATUSES) observe(status === rollout.status ? 1 : 0, { [Attr.status]: status });
      });
      gauge(Metric.rolloutStep, 'The step a canary is at (0-based).', (rollout, observe) => {
        if (rollout.step !== null) observe(rollout.step, {});
      });
    },
    async shutdown() {
      await tracerProvider?.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/**
 * Trace and span ids cut from a pool of cryptographically random bytes, refilled when spent: a
 * dozen ids per request cost a slice of the pool's hex each instead of a few `Math.random` calls.
 */
export class PooledIdGenerator implements IdGenerator {
  readonly #pool = Buffer.allocUnsafe(16 * 1024);
  /**
   * The pool as hex, converted once per refill: an id is a slice of it (V8 keeps a slice as a view
   * of this string, which lives while any of its 2,048-odd ids do: a few pools at most).
   */
  #hex = '';
  #offset = this.#pool.length;

  generateTraceId(): string {
    return this.#take(16);
  }

  generateSpanId(): string {
    return this.#take(8);
  }

  #take(bytes: number): string {
    for (;;) {
      if (this.#offset + bytes > this.#pool.length) {
        randomFillSync(this.#pool);
        this.#hex = this.#pool.toString('hex');
        this.#offset = 0;
      }
      const start = this.#offset;
      this.#offset += bytes;
      // An all-zero id is invalid (W3C trace context); at odds of 2^-64, draw again.
      for (let i = start; i < start + bytes; i++) if (this.#pool[i] !== 0) return this.#hex.slice(2 * start, 2 * (start + bytes));
    }
  }
}

/**
 * A context manager without async propagation: `context.with` makes a context active for the
 * synchronous call it wraps, and nothing more. The server passes each request's context on
 * explicitly (the GraphQL context carries it to the pipeline run, which hands its node spans to the
 * model batchers synchronously), so it needs no more; the async-hooks manager the SDK registers by
 * default would add promise hooks to every promise of every request.
 */
export class SynchronousContextManager implements ContextManager {
  #active: Context = ROOT_CONTEXT;

  active(): Context {
    return this.#active;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.#active;
    this.#active = context;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.#active = previous;
    }
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (thisArg: unknown, args: unknown[]) => this.with(context, () => (target as (...a: unknown[]) => unknown).apply(thisArg, args));
    return function (this: unknown, ...args: unknown[]) {
      return run(this, args);
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#active = ROOT_CONTEXT;
    return this;
  }
}

/**
 * OTLP over HTTP with protobuf, as `@opentelemetry/exporter-trace-otlp-proto` does it (the same
 * transport, so the same `OTEL_EXPORTER_OTLP_*` endpoint, headers, timeout, compression and
 * retries), with Tessera's encoder for the requests: it writes the same bytes at about a third of
 * the cost (`src/server/otlpProtobuf.ts`).
 */
class OtlpProtobufExporter extends OTLPExporterBase<ReadableSpan[]> implements SpanExporter {
  constructor() {
    super(
      createOtlpHttpExportDelegate(
        convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
        createProtobufTraceSerializer(),
        'otlp_http_span_exporter',
        TraceExporterMetricsHelper,
        undefined,
      ),
    );
  }
}

/** Writes each export batch as one line of OTLP JSON (`ExportTraceServiceRequest`), for offline viewing. */
class JsonLinesExporter implements SpanExporter {
  readonly #out: WriteStream;
  #error: Error | undefined;

  constructor(file: string) {
    // Opened now: a path that cannot be written stops the start-up with its reason, instead of an
    // unhandled stream error crashing the server after it has said it is serving.
    let fd: number;
    try {
      fd = openSync(file, 'a');
    } catch (error) {
      throw new Error(`Cannot write the trace file "${file}": ${(error as Error).message}`, { cause: error });
    }
    this.#out = createWriteStream(file, { fd });
    // A failed write (a full disk) fails its export and the later ones; it must not end the process.
    this.#out.on('error', (error) => {
      this.#error ??= error;
    });
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.#error) return done({ code: ExportResultCode.FAILED, error: this.#error });
    const bytes = JsonTraceSerializer.serializeRequest(spans);
    if (!bytes) return done({ code: ExportResultCode.FAILED, error: new Error('spans could not be serialized') });
    this.#out.write(`${Buffer.from(bytes).toString('utf8')}\n`, (error) => done(error ? { code: ExportResultCode.FAILED, error } : { code: ExportResultCode.SUCCESS }));
  }

  forceFlush(): Promise<void> {
    return new Promise((resolve) => (this.#out.writableNeedDrain ? this.#out.once('drain', () => resolve()) : resolve()));
  }

  shutdown(): Promise<void> {
    return new Promise((resolve) => this.#out.end(() => resolve()));
  }
}
