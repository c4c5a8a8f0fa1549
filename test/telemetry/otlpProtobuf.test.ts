import { createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Tracer } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { SpanEncoder } from '../../src/server/otlpProtobuf.js';
import { decodeOtlpProtobuf } from '../helpers/otelOtlp.js';

/** Spans of two resources and three scopes, with every kind of value OTLP has. */
function recordSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = (attributes: Record<string, string>) =>
    new BasicTracerProvider({ resource: resourceFromAttributes(attributes), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const first = provider({ 'service.name': 'tessera', 'deployment.environment.name': 'test' });
  const second = provider({ 'service.name': 'another', 'service.namespace': 'ünïcödé' });
  const tracers: Tracer[] = [
    first.getTracer('tessera'),
    first.getTracer('other', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
    second.getTracer('tessera'),
  ];
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('vendor=abc,other=1'),
  });
  for (let i = 0; i < 600; i++) {
    const tracer = tracers[i % tracers.length] as Tracer;
    const parentSpan = tracer.startSpan(`tessera.pipeline p${i % 4}`, { kind: SpanKind.SERVER, attributes: { 'tessera.request_id': `request-${i}` } }, i % 2 ? remote : ROOT_CONTEXT);
    const span = tracer.startSpan(
      i % 5 === 0 ? `a name longer than one hundred and twenty-seven bytes ${'x'.repeat(100)} ${i}` : i % 7 === 0 ? `an operation name too long to cache ${'y'.repeat(300)} ${i % 2}` : 'tessera.node repayment',
      {
        kind: (i % 5) as SpanKind,
        attributes: {
          'tessera.node': 'repayment',
          'tessera.version.sha256': 'd17c980f2f5d67ab149cce070f909eebf3b7f51fa80e3d58d7d3db4ebb09a2f3',
          'a.unique.string': `value ${i} ✓`,
          'a.long.string': `${'é'.repeat(90)}${i % 3}`,
          'a.string.too.long.to.cache': `${'z'.repeat(250)}${i % 2}`,
          'an.int': i % 7,
          'a.negative.int': -i - 1,
          'a.large.int': 2 ** 40 + i,
          'a.double': i / 3,
          'a.bool': i % 2 === 0,
          'an.array': ['a', `b${i % 2}`],
          'a.number.array': [1, 2.5, -3],
        },
        links: i % 3 === 0 ? [{ context: remote ? trace.getSpanContext(remote)! : parentSpan.spanContext(), attributes: { 'link.kind': 'batch', 'link.n': i } }, { context: parentSpan.spanContext() }] : [],
      },
      trace.setSpan(ROOT_CONTEXT, parentSpan),
    );
    if (i % 4 === 0) span.addEvent('retried', { 'row.index': i, reason: 'batch failed' });
    if (i % 6 === 0) span.setStatus({ code: SpanStatusCode.ERROR, message: `Node "ratio" (version v1) failed: división por cero ${i}` });
    else if (i % 6 === 1) span.setStatus({ code: SpanStatusCode.OK });
    span.end();
    parentSpan.end();
  }
  return exporter.getFinishedSpans() as ReadableSpan[];
}

describe('the OTLP protobuf encoder', () => {
  const spans = recordSpans();

  it('writes the same bytes as the OpenTelemetry serializer, for one span and for batches', () => {
    const encoder = new SpanEncoder();
    for (const batch of [spans.slice(0, 1), spans.slice(0, 37), spans.slice(100, 612), spans]) {
      const reference = Buffer.from(ProtobufTraceSerializer.serializeRequest(batch) as Uint8Array);
      expect(Buffer.from(encoder.encode(batch)).equals(reference)).toBe(true);
    }
    // Again, with every cache warm (and the unique values' keys past their cache limit).
    const reference = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
    expect(Buffer.from(encoder.encode(spans)).equals(reference)).toBe(true);
  });

  it('starts afresh after an encode that failed half-way', () => {
    const encoder = new SpanEncoder();
    const broken = new Proxy(spans[3] as ReadableSpan, {
      get: (target, key, receiver) => {
        if (key === 'links') throw new Error('a getter that fails');
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    expect(() => encoder.encode([spans[0] as ReadableSpan, broken])).toThrow('a getter that fails');
    const batch = spans.slice(10, 20);
    expect(Buffer.from(encoder.encode(batch)).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(batch) as Uint8Array))).toBe(true);
  });

  it('decodes with the official OTLP protos to the spans it was given', () => {
    const decoded = decodeOtlpProtobuf(new SpanEncoder().encode(spans));
    expect(decoded).toHaveLength(spans.length);
    const byId = new Map(decoded.map((span) => [span.spanId, span]));
    for (const span of spans) {
      const got = byId.get(span.spanContext().spanId);
      expect(got?.name).toBe(span.name);
      expect(got?.traceId).toBe(span.spanContext().traceId);
      expect(got?.parentSpanId).toBe(span.parentSpanContext?.spanId ?? '');
      expect(got?.kind).toBe(span.kind + 1);
      expect(got?.status).toEqual({ code: span.status.code, message: span.status.message ?? '' });
      expect(got?.attributes).toEqual(span.attributes);
      expect(got?.links).toEqual(span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId })));
      expect(got?.resource).toEqual(span.resource.attributes);
      expect(got?.scope).toBe(span.instrumentationScope.name);
    }
  });
});
