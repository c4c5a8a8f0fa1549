/**
 * OTLP protobuf encoding cost per span: @opentelemetry/otlp-transformer's serializer against
 * Tessera's encoder (src/server/otlpProtobuf.ts), on 10,000 spans shaped like Tessera's (a pipeline
 * span and nine node spans per request, three of them with batch attributes, recorded by the
 * server's tracer provider), in exports of 512.
 * Part of `npm run bench`; alone: `npx tsx bench/encoding.ts`.
 */
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { fileURLToPath } from 'node:url';
import { SpanEncoder } from '../src/server/otlpProtobuf.js';
import { PooledIdGenerator } from '../src/server/telemetry.js';
import { RecordingTracerProvider, samplerFromEnv } from '../src/server/tracer.js';

function tesseraLikeSpans(requests: number): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new RecordingTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'tessera' }), sampler: samplerFromEnv({}), spanProcessors: [new SimpleSpanProcessor(exporter)], idGenerator: new PooledIdGenerator() });
  const tracer = provider.getTracer('tessera');
  for (let i = 0; i < requests; i++) {
    const pipeline = tracer.startSpan('tessera.pipeline creditScore', {
      attributes: { 'tessera.pipeline': 'creditScore', 'tessera.request_id': `019a2348-c772-7000-89e8-${String(i).padStart(12, '0')}`, 'tessera.routing_key.hash': (i * 2654435761).toString(16).padStart(16, '0').slice(-16) },
    });
    const parent = trace.setSpan(ROOT_CONTEXT, pipeline);
    for (let j = 0; j < 9; j++) {
      const span = tracer.startSpan(
        `tessera.node n${j}`,
        {
          attributes: {
            'tessera.node': `n${j}`,
            'tessera.node.kind': j < 3 ? 'onnx' : 'expression',
            'tessera.version': 'v1',
            'tessera.version.sha256': 'd17c980f2f5d67ab149cce070f909eebf3b7f51fa80e3d58d7d3db4ebb09a2f3',
            'tessera.policy': 'split(v1=80%,v2=20%)',
            'tessera.variant': 'control',
          },
        },
        parent,
      );
      if (j < 3) span.setAttributes({ 'tessera.batch.size': 20, 'tessera.batch.queue_wait_ms': i / 7, 'tessera.batch.compute_ms': i / 11, 'tessera.batch.trace_id': '4bf92f3577b34da6a3ce929d0e0e4736', 'tessera.batch.span_id': '3d09307676ac3883' });
      span.end();
    }
    pipeline.end();
  }
  return exporter.getFinishedSpans() as ReadableSpan[];
}

/** Microseconds per span of each encoder: the median of `rounds` passes over the spans, after a warm-up pass. */
export function encodingCost(rounds = 7): { reference: number; tessera: number; spans: number } {
  const spans = tesseraLikeSpans(1000);
  const encoder = new SpanEncoder();
  const time = (encode: (batch: ReadableSpan[]) => unknown) => {
    const passes: number[] = [];
    for (let r = 0; r <= rounds; r++) {
      const started = performance.now();
      for (let i = 0; i < spans.length; i += 512) encode(spans.slice(i, i + 512));
      if (r > 0) passes.push(((performance.now() - started) * 1000) / spans.length);
    }
    return passes.sort((a, b) => a - b)[Math.floor(passes.length / 2)] as number;
  };
  return { reference: time((batch) => ProtobufTraceSerializer.serializeRequest(batch)), tessera: time((batch) => encoder.encode(batch)), spans: spans.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { reference, tessera, spans } = encodingCost();
  process.stdout.write(`OTLP protobuf encoding, ${spans} spans in exports of 512: otlp-transformer ${reference.toFixed(2)} µs/span, Tessera ${tessera.toFixed(2)} µs/span (${(reference / tessera).toFixed(1)} × faster)\n`);
}
