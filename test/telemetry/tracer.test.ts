import { context, diag, DiagLogLevel, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { hrTimeToMilliseconds, suppressTracing } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, InMemorySpanExporter, ParentBasedSampler as SdkParentBasedSampler, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it, vi } from 'vitest';
import { PooledIdGenerator, SynchronousContextManager } from '../../src/server/telemetry.js';
import { RecordingTracerProvider, samplerFromEnv, spanLimitsFromEnv, type SpanLimits } from '../../src/server/tracer.js';

const resource = resourceFromAttributes({ 'service.name': 'tracer-test' });
const LIMITS: SpanLimits = { attributeCountLimit: 128, attributeValueLengthLimit: Infinity, linkCountLimit: 128, eventCountLimit: 128, attributePerEventCountLimit: 128, attributePerLinkCountLimit: 128 };

/** Tessera's provider and the SDK's, each over an in-memory exporter, with the same sampler and limits. */
function providers(limits: SpanLimits = LIMITS) {
  const ours = new InMemorySpanExporter();
  const sdk = new InMemorySpanExporter();
  const sampler = samplerFromEnv({});
  return {
    ours: { tracer: new RecordingTracerProvider({ resource, sampler, spanLimits: limits, spanProcessors: [new SimpleSpanProcessor(ours)], idGenerator: new PooledIdGenerator() }).getTracer('tessera'), exporter: ours },
    sdk: {
      tracer: new BasicTracerProvider({ resource, sampler: new SdkParentBasedSampler({ root: new AlwaysOnSampler() }), spanLimits: limits, spanProcessors: [new SimpleSpanProcessor(sdk)] }).getTracer('tessera'),
      exporter: sdk,
    },
  };
}

const failure = new Error('boom');

/** Every kind of call the API offers a span, including the ones the spec says to ignore. */
function exercise(tracer: Tracer): { notRecorded: boolean[] } {
  const root = tracer.startSpan('root', { kind: SpanKind.SERVER, attributes: { a: 1, b: 'x', list: [1, 2], nothing: null as never, missing: undefined, bad: {} as never } }, ROOT_CONTEXT);
  root.setAttribute('', 1);
  root.setAttribute('k', 'v');
  root.setAttributes({ k: 'replaced', flag: true, mixed: ['a', null] as never });
  const inRoot = trace.setSpan(ROOT_CONTEXT, root);
  const child = tracer.startSpan('child', { links: [{ context: root.spanContext(), attributes: { weight: 1, bad: {} as never } }, { context: root.spanContext() }] }, inRoot);
  child.addEvent('plain');
  child.addEvent('with attributes', { x: 1, y: 'z' });
  child.recordException(failure);
  child.recordException({ code: 'TIMEOUT', message: 'slow' });
  child.recordException('a string');
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'bad' });
  child.setStatus({ code: SpanStatusCode.UNSET });
  child.updateName('child renamed');
  child.addLink({ context: root.spanContext(), attributes: { late: true } });
  child.end();
  child.setAttribute('after end', 1);
  child.setStatus({ code: SpanStatusCode.OK });
  child.updateName('too late');
  child.addEvent('too late');
  const ok = tracer.startSpan('ok', {}, inRoot);
  ok.setStatus({ code: SpanStatusCode.OK, message: 'ignored for OK' });
  ok.setStatus({ code: SpanStatusCode.ERROR, message: 'OK is final' });
  ok.end();
  const many = tracer.startSpan('many', { links: Array.from({ length: 130 }, () => ({ context: root.spanContext() })) }, inRoot);
  for (let i = 0; i < 200; i++) many.setAttribute(`attribute ${i}`, i);
  for (let i = 0; i < 130; i++) many.addEvent(`event ${i}`);
  many.setAttribute('attribute 5', 'an existing key is still replaced');
  many.end();
  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true });
  tracer.startSpan('remote child', { kind: SpanKind.CLIENT }, remoteParent).end();
  tracer.startSpan('new root', { root: true }, inRoot).end();
  const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE, isRemote: true });
  const dropped = tracer.startSpan('unsampled', {}, unsampledParent);
  const suppressed = tracer.startSpan('suppressed', {}, suppressTracing(inRoot));
  const invalidParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'not hex', spanId: 'nope', traceFlags: TraceFlags.SAMPLED });
  tracer.startSpan('invalid parent', {}, invalidParent).end();
  root.end();
  dropped.end();
  suppressed.end();
  return { notRecorded: [dropped.isRecording(), suppressed.isRecording(), suppressed.spanContext().traceId === '00000000000000000000000000000000'] };
}

/** What an exporter reads of the spans, with ids replaced by the names of the spans they belong to. */
function normalize(spans: readonly ReadableSpan[]) {
  const names = new Map(spans.map((span) => [span.spanContext().spanId, span.name]));
  names.set('b7ad6b7169203331', 'the remote parent');
  const traces = new Map<string, number>();
  const traceOf = (id: string) => (traces.has(id) ? traces.get(id) : traces.set(id, traces.size).get(id));
  return spans.map((span) => ({
    name: span.name,
    kind: span.kind,
    trace: traceOf(span.spanContext().traceId),
    traceFlags: span.spanContext().traceFlags,
    parent: span.parentSpanContext ? { name: names.get(span.parentSpanContext.spanId), remote: span.parentSpanContext.isRemote } : undefined,
    attributes: span.attributes,
    links: span.links.map((link) => ({ ...link, context: names.get(link.context.spanId) })),
    events: span.events.map(({ time: _time, ...event }) => event),
    status: span.status,
    dropped: [span.droppedAttributesCount, span.droppedLinksCount, span.droppedEventsCount],
    ended: span.ended,
    scope: span.instrumentationScope,
    resource: span.resource.attributes,
  }));
}

describe('Tessera’s tracer provider', () => {
  it('records what the SDK records, for every call of the API, as exporters read it', () => {
    const { ours, sdk } = providers();
    const oursResult = exercise(ours.tracer);
    const sdkResult = exercise(sdk.tracer);
    expect(oursResult).toEqual(sdkResult);
    expect(oursResult.notRecorded).toEqual([false, false, true]);
    const expected = normalize(sdk.exporter.getFinishedSpans());
    expect(normalize(ours.exporter.getFinishedSpans())).toEqual(expected);
    // The comparison covers what it should: limits reached, a remote parent, a new root.
    expect(expected.map((s) => s.name)).toEqual(['child renamed', 'ok', 'many', 'remote child', 'new root', 'invalid parent', 'root']);
    expect(expected.find((s) => s.name === 'many')?.dropped).toEqual([72, 2, 2]);
    expect(expected.find((s) => s.name === 'remote child')?.parent).toEqual({ name: 'the remote parent', remote: true });
    expect(expected.find((s) => s.name === 'child renamed')?.events.map((e) => e.name)).toEqual(['plain', 'with attributes', 'exception', 'exception', 'exception']);
  });

  it('cuts string attributes to the value length limit, and keeps no more links, events or attributes than allowed, as the SDK does', () => {
    const limits: SpanLimits = { attributeCountLimit: 2, attributeValueLengthLimit: 3, linkCountLimit: 1, eventCountLimit: 1, attributePerEventCountLimit: 1, attributePerLinkCountLimit: 1 };
    const { ours, sdk } = providers(limits);
    for (const { tracer } of [ours, sdk]) {
      const span = tracer.startSpan('limited', { attributes: { long: 'abcdef', list: ['abcdef', 'ab'], third: 'x' } }, ROOT_CONTEXT);
      span.addLink({ context: span.spanContext(), attributes: { a: 'abcdef', b: 2 } });
      span.addLink({ context: span.spanContext(), attributes: { c: 'abcdef' } });
      span.addEvent('first', { a: 'abcdef', b: 2 });
      span.addEvent('second', { c: 'abcdef', d: 2 });
      span.end();
    }
    const expected = normalize(sdk.exporter.getFinishedSpans());
    expect(normalize(ours.exporter.getFinishedSpans())).toEqual(expected);
    expect(expected[0]).toMatchObject({ attributes: { long: 'abc', list: ['abc', 'ab'] }, dropped: [1, 1, 1], links: [{ attributes: { c: 'abc' } }], events: [{ name: 'second', attributes: { c: 'abc' }, droppedAttributesCount: 1 }] });
  });

  it('times spans on one clock: children inside their parents, explicit times kept, durations the difference', () => {
    const { ours } = providers();
    const before = Date.now();
    const parent = ours.tracer.startSpan('parent', {}, ROOT_CONTEXT);
    const inParent = trace.setSpan(ROOT_CONTEXT, parent);
    const children = Array.from({ length: 200 }, (_, i) => ours.tracer.startSpan(`child ${i}`, {}, inParent));
    for (const child of children) child.end();
    parent.end();
    const after = Date.now();
    const explicit = ours.tracer.startSpan('explicit', { startTime: new Date(1_700_000_000_000) }, ROOT_CONTEXT);
    explicit.end(new Date(1_700_000_000_250));
    const backwards = ours.tracer.startSpan('backwards', { startTime: new Date(1_700_000_000_000) }, ROOT_CONTEXT);
    backwards.end(new Date(1_600_000_000_000));
    const spans = new Map(ours.exporter.getFinishedSpans().map((span) => [span.name, span]));
    const ms = (span: ReadableSpan) => ({ start: hrTimeToMilliseconds(span.startTime), end: hrTimeToMilliseconds(span.endTime), duration: hrTimeToMilliseconds(span.duration) });
    const outer = ms(spans.get('parent') as ReadableSpan);
    // Wall-clock times (Date.now() has whole milliseconds).
    expect(outer.start).toBeGreaterThanOrEqual(before - 1);
    expect(outer.end).toBeLessThanOrEqual(after + 1);
    for (let i = 0; i < 200; i++) {
      const inner = ms(spans.get(`child ${i}`) as ReadableSpan);
      expect(inner.start).toBeGreaterThanOrEqual(outer.start);
      expect(inner.end).toBeLessThanOrEqual(outer.end);
      expect(inner.duration).toBeCloseTo(inner.end - inner.start, 3);
    }
    expect(ms(spans.get('explicit') as ReadableSpan)).toEqual({ start: 1_700_000_000_000, end: 1_700_000_000_250, duration: 250 });
    expect(ms(spans.get('backwards') as ReadableSpan)).toEqual({ start: 1_700_000_000_000, end: 1_700_000_000_000, duration: 0 });
  });

  it('keeps a span’s length when the wall clock steps while it is open', () => {
    const { ours } = providers();
    let monotonic = 10_000;
    const wall = Date.now();
    vi.spyOn(performance, 'now').mockImplementation(() => monotonic);
    const dateNow = vi.spyOn(Date, 'now').mockReturnValue(wall);
    try {
      const open = ours.tracer.startSpan('open across the step', {}, ROOT_CONTEXT);
      // 1.5 s later the wall clock has jumped an hour ahead (NTP, a resumed VM).
      monotonic += 1_500;
      dateNow.mockReturnValue(wall + 1_500 + 3_600_000);
      const after = ours.tracer.startSpan('started after the step', {}, ROOT_CONTEXT);
      after.end();
      open.end();
    } finally {
      vi.restoreAllMocks();
    }
    const spans = new Map(ours.exporter.getFinishedSpans().map((span) => [span.name, span]));
    const open = spans.get('open across the step') as ReadableSpan;
    expect(hrTimeToMilliseconds(open.duration)).toBeCloseTo(1_500, 3);
    expect(hrTimeToMilliseconds(open.startTime)).toBeCloseTo(wall, -1);
    // A span that starts after the step is on the new wall time.
    expect(hrTimeToMilliseconds((spans.get('started after the step') as ReadableSpan).startTime)).toBeCloseTo(wall + 1_500 + 3_600_000, -1);
  });

  it('ends once, at now, when given an invalid end time; processors see the end time in onEnding', () => {
    const exporter = new InMemorySpanExporter();
    const ending: [number[], boolean][] = [];
    const tracer = new RecordingTracerProvider({
      resource,
      sampler: samplerFromEnv({}),
      spanProcessors: [{ onStart: () => {}, onEnding: (span) => ending.push([span.endTime, span.isRecording()]), onEnd: () => {}, forceFlush: async () => {}, shutdown: async () => {} }, new SimpleSpanProcessor(exporter)],
      idGenerator: new PooledIdGenerator(),
    }).getTracer('t');
    const before = Date.now();
    const span = tracer.startSpan('invalid end', {}, ROOT_CONTEXT);
    span.end(new Date('not a date'));
    span.setAttribute('after end', 1);
    span.end();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    const [finished] = exporter.getFinishedSpans() as [ReadableSpan];
    expect(finished.attributes).toEqual({});
    expect(hrTimeToMilliseconds(finished.endTime)).toBeGreaterThanOrEqual(before - 1);
    expect(ending).toEqual([[finished.endTime, true]]);
  });

  it('copies array attributes, and types an exception without a code by its name', () => {
    const { ours } = providers();
    const list = ['a', 'b'];
    const span = ours.tracer.startSpan('copies', { attributes: { list } }, ROOT_CONTEXT);
    list.push('changed later');
    span.recordException(Object.assign(new Error('killed'), { code: null }) as never);
    span.end();
    const [finished] = ours.exporter.getFinishedSpans() as [ReadableSpan];
    expect(finished.attributes.list).toEqual(['a', 'b']);
    expect(finished.events[0]?.attributes?.['exception.type']).toBe('Error');
  });

  it('starts active spans as the API’s overloads say, in the active context when none is given', () => {
    const manager = new SynchronousContextManager();
    context.setGlobalContextManager(manager);
    try {
      const { ours } = providers();
      const outer = ours.tracer.startSpan('outer', {}, ROOT_CONTEXT);
      const seen = context.with(trace.setSpan(ROOT_CONTEXT, outer), () => [
        ours.tracer.startActiveSpan('fn only', (span: Span) => [trace.getActiveSpan() === span, span]),
        ours.tracer.startActiveSpan('options', { kind: SpanKind.CLIENT }, (span: Span) => [trace.getActiveSpan() === span, span]),
        ours.tracer.startActiveSpan('undefined context', {}, undefined as never, (span: Span) => [trace.getActiveSpan() === span, span]),
        ours.tracer.startActiveSpan('root context', {}, ROOT_CONTEXT, (span: Span) => [trace.getActiveSpan() === span, span]),
      ]);
      const parents = seen.map(([active, span]) => [active, (span as unknown as ReadableSpan).parentSpanContext?.spanId]);
      const outerId = outer.spanContext().spanId;
      expect(parents).toEqual([
        [true, outerId],
        [true, outerId],
        [true, outerId],
        [true, undefined],
      ]);
      expect((seen[1]?.[1] as unknown as ReadableSpan).kind).toBe(SpanKind.CLIENT);
    } finally {
      context.disable();
    }
  });

  it('warns, as the SDK does, when a span drops links or events or is changed after it ended', () => {
    const warnings: string[] = [];
    diag.setLogger({ error: (m) => warnings.push(m), warn: (m) => warnings.push(m), info: () => {}, debug: () => {}, verbose: () => {} }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
    try {
      const { ours } = providers({ ...LIMITS, linkCountLimit: 1, eventCountLimit: 1 });
      const span = ours.tracer.startSpan('limited', {}, ROOT_CONTEXT);
      span.addLinks([{ context: span.spanContext() }, { context: span.spanContext() }, { context: span.spanContext() }]);
      span.addEvent('one');
      span.addEvent('two');
      span.end();
      span.setAttribute('late', 1);
      span.end();
    } finally {
      diag.disable();
    }
    expect(warnings).toEqual([
      'Dropped 2 links because linkCountLimit reached',
      'Dropped 1 events because eventCountLimit reached',
      'Cannot change span "limited": it has ended.',
      'Span "limited" was ended twice; only the first end counts.',
    ]);
  });

  it('reads as an unended span until it ends', () => {
    const { ours } = providers();
    const span = ours.tracer.startSpan('open', {}, ROOT_CONTEXT) as unknown as ReadableSpan & { isRecording(): boolean; end(): void };
    expect([span.ended, span.isRecording(), span.endTime, span.duration]).toEqual([false, true, [0, 0], [-1, -1]]);
    span.end();
    expect([span.ended, span.isRecording()]).toEqual([true, false]);
  });
});

describe('the sampler from OTEL_TRACES_SAMPLER', () => {
  const decide = (env: NodeJS.ProcessEnv, parent: Context = ROOT_CONTEXT, count = 1) => {
    const tracer = new RecordingTracerProvider({ resource, sampler: samplerFromEnv(env), spanProcessors: [], idGenerator: new PooledIdGenerator() }).getTracer('t');
    let recorded = 0;
    for (let i = 0; i < count; i++) if (tracer.startSpan('s', {}, parent).isRecording()) recorded++;
    return recorded / count;
  };
  const sampledCaller = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true });
  const unsampledCaller = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE, isRemote: true });

  it('follows the parent when parent-based, and decides new traces by the root sampler', () => {
    expect([decide({}), decide({}, sampledCaller), decide({}, unsampledCaller)]).toEqual([1, 1, 0]);
    expect([decide({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }), decide({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, sampledCaller)]).toEqual([0, 1]);
    expect([decide({ OTEL_TRACES_SAMPLER: 'always_on' }, unsampledCaller), decide({ OTEL_TRACES_SAMPLER: 'always_off' }, sampledCaller)]).toEqual([1, 0]);
    const ratio = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' };
    // 20,000 new traces at 0.25: the standard deviation of the share is 0.003.
    expect(decide(ratio, ROOT_CONTEXT, 20_000)).toBeGreaterThan(0.235);
    expect(decide(ratio, ROOT_CONTEXT, 20_000)).toBeLessThan(0.265);
    expect(decide(ratio, sampledCaller, 100)).toBe(1);
    expect(decide({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, sampledCaller, 100)).toBe(0);
  });

  it('refuses a name or a ratio it cannot use, naming the variable and what it takes', () => {
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidraito' })).toThrow(
      'OTEL_TRACES_SAMPLER takes always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio; got "parentbased_traceidraito". Did you mean "parentbased_traceidratio"?',
    );
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow('OTEL_TRACES_SAMPLER takes always_on');
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '10%' })).toThrow('OTEL_TRACES_SAMPLER_ARG must be a probability from 0 to 1; got "10%".');
    // Checked whatever the sampler, though only the ratio samplers read it.
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER_ARG: 'ten percent' })).toThrow('OTEL_TRACES_SAMPLER_ARG must be a probability from 0 to 1; got "ten percent".');
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' })).toThrow('got "1.5"');
  });
});

describe('span limits from OTEL_SPAN_*_LIMIT', () => {
  it('reads each limit, and refuses a value that is not a whole number', () => {
    // Links default to a batch's default maximum size (1,024 rows), not the spec's 128.
    expect(spanLimitsFromEnv({})).toEqual({ ...LIMITS, linkCountLimit: 1024 });
    expect(spanLimitsFromEnv({ OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '16', OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '256', OTEL_SPAN_LINK_COUNT_LIMIT: '0' })).toEqual({
      ...LIMITS,
      attributeCountLimit: 16,
      attributeValueLengthLimit: 256,
      linkCountLimit: 0,
    });
    expect(() => spanLimitsFromEnv({ OTEL_SPAN_LINK_COUNT_LIMIT: '-1' })).toThrow('OTEL_SPAN_LINK_COUNT_LIMIT must be a whole number of 0 or more; got "-1".');
    expect(() => spanLimitsFromEnv({ OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: 'lots' })).toThrow('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT must be a whole number of 0 or more; got "lots".');
    // A value length of 0 would empty every string.
    expect(() => spanLimitsFromEnv({ OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '0' })).toThrow('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT must be a whole number of 1 or more; got "0".');
    // The general attribute limits apply where the span's own are not set, as in the SDK.
    expect(spanLimitsFromEnv({ OTEL_ATTRIBUTE_COUNT_LIMIT: '8', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '64', OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '32' })).toMatchObject({ attributeCountLimit: 8, attributeValueLengthLimit: 32 });
    expect(() => spanLimitsFromEnv({ OTEL_ATTRIBUTE_COUNT_LIMIT: '-3' })).toThrow('OTEL_ATTRIBUTE_COUNT_LIMIT must be a whole number of 0 or more; got "-3".');
  });
});
