/**
 * The server's tracer provider: spans recorded straight into the objects that the SDK's span
 * processors and exporters read (`ReadableSpan`), with the SDK's samplers, processors and
 * exporters around them.
 *
 * - **Why not the SDK's tracer.** Its span is general: it copies and re-checks every attribute
 *   set, builds the times as `[seconds, nanoseconds]` arrays when it starts and ends, and a
 *   status, an events and a links array whether they are used or not; its tracer checks each
 *   parent's ids against regular expressions, twice with the parent-based sampler. A Tessera
 *   request has about a dozen spans, so at 100% sampling that is most of what tracing costs the
 *   server (docs/observability.md, Cost).
 * - **What this one does instead.** A span keeps its times as numbers and builds the arrays only
 *   when an exporter reads them; it allocates events only for a span that has them; a parent
 *   recorded here is known to be valid.
 * - **What is the same.** Sampling (`OTEL_TRACES_SAMPLER` and `_ARG`, with the SDK's ratio
 *   sampler), the span limits (`OTEL_SPAN_*_LIMIT`, else `OTEL_ATTRIBUTE_*`; links default to
 *   1,024, not 128), the SDK's span processors and exporters, exception events, suppressed tracing,
 *   its warnings, and the spec's rules for a span that has ended.
 */
import {
  context as contextApi,
  diag,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  SamplingDecision,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type AttributeValue,
  type Context,
  type ContextManager,
  type Exception,
  type HrTime,
  type Link,
  type Sampler,
  type SamplingResult,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { CompositePropagator, hrTimeToMilliseconds, isAttributeValue, isTracingSuppressed, millisToHrTime, W3CBaggagePropagator, W3CTraceContextPropagator, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, TraceIdRatioBasedSampler, type IdGenerator, type ReadableSpan, type SpanProcessor, type TimedEvent } from '@opentelemetry/sdk-trace-base';
import { didYouMean } from '../errors/index.js';

/** How many attributes, links and events a span keeps. */
export interface SpanLimits {
  readonly attributeCountLimit: number;
  /** Longer string values are cut to this many characters. */
  readonly attributeValueLengthLimit: number;
  readonly linkCountLimit: number;
  readonly eventCountLimit: number;
  readonly attributePerEventCountLimit: number;
  readonly attributePerLinkCountLimit: number;
}

export interface RecordingTracerProviderOptions {
  readonly resource: Resource;
  readonly sampler: Sampler;
  readonly spanProcessors: readonly SpanProcessor[];
  readonly idGenerator: IdGenerator;
  readonly spanLimits?: SpanLimits;
}

/**
 * The spec's defaults, but for links: a model run links to the node span of every row it served,
 * and a batch holds up to 1,024 rows by default (an ONNX node's `batch.maxSize`), not 128.
 */
const DEFAULT_LIMITS: SpanLimits = {
  attributeCountLimit: 128,
  attributeValueLengthLimit: Infinity,
  linkCountLimit: 1024,
  eventCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
};

/**
 * The variables that set each limit, the span's own first (the SDK's names and order): the two
 * attribute limits fall back to the general `OTEL_ATTRIBUTE_*` ones.
 */
const LIMIT_VARIABLES: Record<keyof SpanLimits, readonly string[]> = {
  attributeCountLimit: ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'],
  attributeValueLengthLimit: ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'],
  linkCountLimit: ['OTEL_SPAN_LINK_COUNT_LIMIT'],
  eventCountLimit: ['OTEL_SPAN_EVENT_COUNT_LIMIT'],
  attributePerEventCountLimit: ['OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'],
  attributePerLinkCountLimit: ['OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'],
};

/**
 * Span limits from the environment. A value that is not a whole number is an error that names its
 * variable; so is a value length of 0, which would empty every string (the SDK ignores it instead).
 */
export function spanLimitsFromEnv(env: NodeJS.ProcessEnv): SpanLimits {
  const limits: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [key, variables] of Object.entries(LIMIT_VARIABLES)) {
    const variable = variables.find((name) => env[name]?.trim());
    if (variable === undefined) continue;
    const text = (env[variable] as string).trim();
    const least = key === 'attributeValueLengthLimit' ? 1 : 0;
    if (!/^\d+$/.test(text) || Number(text) < least) throw new Error(`${variable} must be a whole number of ${least} or more; got "${env[variable]}".`);
    limits[key] = Number(text);
  }
  return limits as unknown as SpanLimits;
}

/** The values of `OTEL_TRACES_SAMPLER` (the spec's, less the Jaeger remote sampler). */
const SAMPLERS: readonly string[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/**
 * The sampler `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` name (default
 * `parentbased_always_on`). Unlike the SDK, which logs a misspelt or out-of-range value to a
 * diagnostic logger nobody registered and samples everything, a bad value stops the start-up.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on';
  if (!SAMPLERS.includes(name)) {
    throw new Error(`OTEL_TRACES_SAMPLER takes ${SAMPLERS.join(', ')}; got "${name}".${didYouMean(name, SAMPLERS)}`);
  }
  // Checked whenever it is set, though only the ratio samplers read it: a malformed value is a mistake.
  const text = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  const ratio = text ? Number(text) : 1;
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a probability from 0 to 1; got "${env.OTEL_TRACES_SAMPLER_ARG}".`);
  const root = name.endsWith('always_on') ? new AlwaysOnSampler() : name.endsWith('always_off') ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(ratio);
  return name.startsWith('parentbased_') ? new ParentBasedSampler(root) : root;
}

/**
 * The spec's parent-based sampler with its default delegates: a span with a parent is sampled if
 * and only if its parent was (local or remote), a root span as `root` decides. The SDK's does the
 * same, but checks the parent's ids against regular expressions on every span; a parent recorded
 * by this provider is known to be valid.
 */
export class ParentBasedSampler implements Sampler {
  readonly #root: Sampler;

  constructor(root: Sampler) {
    this.#root = root;
  }

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    return this.sampleUnder(validParent(context), context, traceId, name, kind, attributes, links);
  }

  /** `shouldSample` for a parent already looked up (the tracer has: it needs it too). */
  sampleUnder(parent: SpanContext | undefined, context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (!parent) return this.#root.shouldSample(context, traceId, name, kind, attributes, links);
    return parent.traceFlags & TraceFlags.SAMPLED ? SAMPLED : NOT_SAMPLED;
  }

  toString(): string {
    return `ParentBased{root=${String(this.#root)}}`;
  }
}

const SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const NOT_SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/** The span context of the context's span, if it has a valid one; cheap for a span recorded here. */
function validParent(context: Context): SpanContext | undefined {
  const span = trace.getSpan(context);
  if (span === undefined) return undefined;
  const spanContext = span.spanContext();
  return span instanceof RecordingSpan || isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * What to add to `performance.now()` for wall-clock milliseconds: `performance.timeOrigin`,
 * re-anchored to `Date.now()` when the two drift more than 10 ms apart (checked at most once a
 * second). A span takes the offset when it starts and times its end and events on the monotonic
 * clock from there, so a step of the wall clock (NTP, a resumed VM) never changes a span's length.
 * One offset for every span, rather than one per span from `Date.now()` as the SDK takes it, keeps
 * a child's start from moving against its parent's by `Date.now()`'s millisecond rounding.
 */
class WallClock {
  #offset = performance.timeOrigin;
  #checkedAt = -Infinity;

  /** The offset at `monotonic`, a `performance.now()` the caller just read. */
  offset(monotonic: number): number {
    if (monotonic - this.#checkedAt > 1000) {
      this.#checkedAt = monotonic;
      const wall = Date.now();
      if (Math.abs(wall - (monotonic + this.#offset)) > 10) this.#offset = wall - monotonic;
    }
    return this.#offset;
  }
}

/**
 * A `TimeInput` as wall-clock milliseconds, or undefined when it is not a time (NaN, an invalid
 * Date). A number at most `performance.now()` is a performance timestamp, as in the SDK.
 */
function wallMillis(input: TimeInput, offset: number): number | undefined {
  let millis: number;
  if (typeof input === 'number') millis = input <= performance.now() ? input + offset : input;
  else if (input instanceof Date) millis = input.getTime();
  else if (isTimeInput(input)) millis = hrTimeToMilliseconds(input);
  else return undefined;
  return Number.isFinite(millis) ? millis : undefined;
}

/** A tracer provider whose spans are `RecordingSpan`s; register it with `register`. */
export class RecordingTracerProvider implements TracerProvider {
  readonly #tracers = new Map<string, RecordingTracer>();
  readonly #shared: TracerShared;

  constructor(options: RecordingTracerProviderOptions) {
    this.#shared = {
      resource: options.resource,
      sampler: options.sampler,
      processors: [...options.spanProcessors],
      ids: options.idGenerator,
      limits: options.spanLimits ?? DEFAULT_LIMITS,
      clock: new WallClock(),
    };
  }

  getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
    const key = `${name}@${version ?? ''}:${options?.schemaUrl ?? ''}`;
    let tracer = this.#tracers.get(key);
    if (!tracer) {
      const scope: InstrumentationScope = { name, ...(version !== undefined ? { version } : {}), ...(options?.schemaUrl !== undefined ? { schemaUrl: options.schemaUrl } : {}) };
      this.#tracers.set(key, (tracer = new RecordingTracer(scope, this.#shared)));
    }
    return tracer;
  }

  /**
   * Makes this the global tracer provider, with `contextManager` and the W3C trace context and
   * baggage propagators (what the SDK's NodeTracerProvider registers by default).
   */
  register(contextManager: ContextManager): void {
    trace.setGlobalTracerProvider(this);
    contextApi.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.#shared.processors.map((processor) => processor.forceFlush()));
  }

  /** Flushes and stops every processor (their exporters send what is buffered). */
  async shutdown(): Promise<void> {
    await Promise.all(this.#shared.processors.map((processor) => processor.shutdown()));
  }
}

/** What a provider's tracers share. */
interface TracerShared {
  readonly resource: Resource;
  readonly sampler: Sampler;
  readonly processors: readonly SpanProcessor[];
  readonly ids: IdGenerator;
  readonly limits: SpanLimits;
  readonly clock: WallClock;
}

const NO_LINKS: readonly Link[] = Object.freeze([]);

class RecordingTracer implements Tracer {
  readonly #scope: InstrumentationScope;
  readonly #shared: TracerShared;

  constructor(scope: InstrumentationScope, shared: TracerShared) {
    this.#scope = scope;
    this.#shared = shared;
  }

  startSpan(name: string, options: SpanOptions = {}, context: Context = contextApi.active()): Span {
    if (options.root) context = trace.deleteSpan(context);
    if (isTracingSuppressed(context)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const shared = this.#shared;
    const parent = validParent(context);
    const traceId = parent ? parent.traceId : shared.ids.generateTraceId();
    const spanId = shared.ids.generateSpanId();
    const kind = options.kind ?? SpanKind.INTERNAL;
    const links = options.links ?? NO_LINKS;
    const attributes = options.attributes ?? {};
    const sampler = shared.sampler;
    const sampling =
      sampler instanceof ParentBasedSampler
        ? sampler.sampleUnder(parent, context, traceId, name, kind, attributes, links as Link[])
        : sampler.shouldSample(context, traceId, name, kind, attributes, links as Link[]);
    const traceState = sampling.traceState ?? parent?.traceState;
    const traceFlags = sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE;
    const spanContext: SpanContext = traceState ? { traceId, spanId, traceFlags, traceState } : { traceId, spanId, traceFlags };
    if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const monotonic = performance.now();
    const offset = shared.clock.offset(monotonic);
    const startMs = (options.startTime === undefined ? undefined : wallMillis(options.startTime, offset)) ?? monotonic + offset;
    const span = new RecordingSpan(name, kind, spanContext, parent, startMs, offset, this.#scope, shared);
    span.setAttributes(attributes);
    if (sampling.attributes) span.setAttributes(sampling.attributes);
    for (const link of links) span.addLink(link);
    for (const processor of shared.processors) processor.onStart(span, context);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    const parent = (rest.length > 2 ? (rest[1] as Context | undefined) : undefined) ?? contextApi.active();
    const span = this.startSpan(name, options, parent);
    return contextApi.with(trace.setSpan(parent, span), () => fn(span) as ReturnType<F>);
  }
}

const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

/**
 * A recorded span: the API's `Span` for the code that writes it, the SDK's `ReadableSpan` for the
 * processors and exporters that read it. Times are wall-clock milliseconds until read.
 */
export class RecordingSpan implements Span, ReadableSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly attributes: Attributes = {};
  readonly links: Link[] = [];
  events: TimedEvent[] = NO_EVENTS;
  status: SpanStatus = UNSET;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  readonly instrumentationScope: InstrumentationScope;
  readonly #spanContext: SpanContext;
  readonly #startMs: number;
  /** `performance.now()` plus this is the span's wall-clock time (taken when it started). */
  readonly #offset: number;
  /** Set as `end` begins (processors' `onEnding` read it), −1 before. */
  #endMs = -1;
  #ended = false;
  #attributeCount = 0;
  readonly #shared: TracerShared;

  constructor(name: string, kind: SpanKind, spanContext: SpanContext, parent: SpanContext | undefined, startMs: number, offset: number, scope: InstrumentationScope, shared: TracerShared) {
    this.name = name;
    this.kind = kind;
    this.#spanContext = spanContext;
    this.parentSpanContext = parent;
    this.#startMs = startMs;
    this.#offset = offset;
    this.instrumentationScope = scope;
    this.#shared = shared;
  }

  get resource(): Resource {
    return this.#shared.resource;
  }

  get startTime(): HrTime {
    return millisToHrTime(this.#startMs);
  }

  /** `[0, 0]` until the span ends, as in the SDK. */
  get endTime(): HrTime {
    return this.#endMs < 0 ? [0, 0] : millisToHrTime(this.#endMs);
  }

  /** `[-1, -1]` until the span ends, as in the SDK. */
  get duration(): HrTime {
    if (this.#endMs < 0) return [-1, -1];
    const nanoseconds = Math.round((this.#endMs - this.#startMs) * 1e6);
    return [Math.floor(nanoseconds / 1e9), nanoseconds % 1e9];
  }

  get ended(): boolean {
    return this.#ended;
  }

  spanContext(): SpanContext {
    return this.#spanContext;
  }

  isRecording(): boolean {
    return !this.#ended;
  }

  /** Whether the span has ended, with the SDK's warning when something tries to change it then. */
  #hasEnded(): boolean {
    if (this.#ended) diag.warn(`Cannot change span "${this.name}": it has ended.`);
    return this.#ended;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value === undefined || value === null || this.#hasEnded()) return this;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    const isNew = !Object.prototype.hasOwnProperty.call(this.attributes, key);
    if (isNew && this.#attributeCount >= this.#shared.limits.attributeCountLimit) {
      this.droppedAttributesCount++;
      return this;
    }
    this.attributes[key] = truncate(value, this.#shared.limits.attributeValueLengthLimit);
    if (isNew) this.#attributeCount++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) if (Object.prototype.hasOwnProperty.call(attributes, key)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.#hasEnded()) return this;
    const limits = this.#shared.limits;
    if (limits.eventCountLimit === 0) {
      this.droppedEventsCount++;
      return this;
    }
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) time ??= attributesOrTime;
    else attributes = attributesOrTime;
    if (this.events === NO_EVENTS) this.events = [];
    if (this.events.length >= limits.eventCountLimit) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    const [kept, dropped] = limited(attributes, limits.attributePerEventCountLimit, limits.attributeValueLengthLimit);
    const millis = (time === undefined ? undefined : wallMillis(time, this.#offset)) ?? performance.now() + this.#offset;
    this.events.push({ name, attributes: kept, time: millisToHrTime(millis), droppedAttributesCount: dropped });
    return this;
  }

  addLink(link: Link): this {
    if (this.#hasEnded()) return this;
    const limits = this.#shared.limits;
    if (limits.linkCountLimit === 0) {
      this.droppedLinksCount++;
      return this;
    }
    if (this.links.length >= limits.linkCountLimit) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    if (link.attributes === undefined) {
      this.links.push({ context: link.context });
      return this;
    }
    const [attributes, dropped] = limited(link.attributes, limits.attributePerLinkCountLimit, limits.attributeValueLengthLimit);
    this.links.push({ context: link.context, ...(Object.keys(attributes).length > 0 ? { attributes } : {}), ...(dropped > 0 ? { droppedAttributesCount: dropped } : {}) });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  /** As the spec says: UNSET changes nothing, OK is final, and only an ERROR keeps a message. */
  setStatus(status: SpanStatus): this {
    if (this.#hasEnded() || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.#hasEnded()) this.name = name;
    return this;
  }

  /**
   * Ends the span: at `endTime` if it is a valid time, else now; never before its start (as in the
   * SDK, a start given later than the end makes a span of zero length). Processors' `onEnding`
   * sees the end time with the span still writable, `onEnd` the ended span.
   */
  end(endTime?: TimeInput): void {
    if (this.#ended) {
      diag.error(`Span "${this.name}" was ended twice; only the first end counts.`);
      return;
    }
    const given = endTime === undefined ? undefined : wallMillis(endTime, this.#offset);
    if (endTime !== undefined && given === undefined) diag.warn(`Span "${this.name}" was ended at an invalid time; it ends now.`);
    this.#endMs = Math.max(this.#startMs, given ?? performance.now() + this.#offset);
    const processors = this.#shared.processors;
    for (const processor of processors) processor.onEnding?.(this);
    this.#ended = true;
    if (this.droppedLinksCount > 0) diag.warn(`Dropped ${this.droppedLinksCount} links because linkCountLimit reached`);
    if (this.droppedEventsCount > 0) diag.warn(`Dropped ${this.droppedEventsCount} events because eventCountLimit reached`);
    for (const processor of processors) processor.onEnd(this);
  }

  /** An `exception` event with the semantic conventions' attributes, as the SDK records it. */
  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      const type = exception.code ? String(exception.code) : exception.name;
      if (type) attributes['exception.type'] = type;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }
}

const NO_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];

function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === 'number' || value instanceof Date || (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number');
}

/**
 * A string (or each string of an array) cut to `limit` characters. An array is copied either way,
 * as in the SDK: the caller may change its own later.
 */
function truncate(value: AttributeValue, limit: number): AttributeValue {
  if (Array.isArray(value)) return value.map((item: unknown) => (typeof item === 'string' && item.length > limit ? item.slice(0, limit) : item)) as AttributeValue;
  return typeof value === 'string' && value.length > limit ? value.slice(0, limit) : value;
}

/** The valid attributes of an event or a link, at most `count` of them, and how many were dropped. */
function limited(attributes: Attributes | undefined, count: number, length: number): [Attributes, number] {
  const kept: Attributes = {};
  let size = 0;
  let dropped = 0;
  for (const key in attributes) {
    const value = attributes[key];
    if (!Object.prototype.hasOwnProperty.call(attributes, key) || !isAttributeValue(value) || value === undefined || value === null) continue;
    if (size >= count) {
      dropped++;
      continue;
    }
    kept[key] = truncate(value, length);
    size++;
  }
  return [kept, dropped];
}
