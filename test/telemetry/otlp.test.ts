import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICANT } from '../helpers/applicants.js';
import { decodeExport, exportedTreeOf, startOtlpReceiver, type ExportedSpan, type OtlpReceiver } from '../helpers/otelOtlp.js';
import { bundledPipelines, repoRoot } from '../helpers/paths.js';
import { pipelineAttributes, SCORE_NODES, SCORE_OPERATION_ATTRIBUTES, SCORE_SPAN_COUNT, scoreTree } from '../helpers/scoreTrace.js';
import { startServe } from '../helpers/serve.js';
import { registerTelemetry } from '../../src/server/telemetry.js';

const SERVE_ARGS = ['--pipelines', bundledPipelines, '--state', 'memory', '--port', '0', '--no-watch', '--no-graphiql'];
const QUERY = 'query Score($input: CreditScoreInput!) { creditScore(input: $input) { requestId traceId score } }';
const SERVER = 2;
const INTERNAL = 1;

async function score(url: string, headers: Record<string, string> = {}): Promise<{ requestId: string; traceId: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: QUERY, variables: { input: APPLICANT } }),
  });
  const body = (await response.json()) as { data: { creditScore: { requestId: string; traceId: string } }; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data.creditScore;
}

/** The export queue's capacity, as the batch span processor reports it at /metrics. */
async function queueCapacity(url: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  const line = text.split('\n').find((l) => l.startsWith('otel_sdk_processor_span_queue_capacity{'));
  return Number(line?.split(' ').at(-1));
}

let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  await receiver.close();
});

describe('tessera serve exporting OTLP over HTTP', () => {
  it('sends protobuf by default, with the service name, resource attributes and headers of the environment, continuing the caller’s trace', async () => {
    const serve = await startServe(SERVE_ARGS, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=t0ken',
      OTEL_SERVICE_NAME: 'tessera-otlp-protobuf',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,team=risk',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    try {
      await serve.waitFor(/^Traces: /m);
      expect(serve.stderr()).toContain(`Traces: OTLP http/protobuf ${receiver.endpoint}. Metrics: `);
      // A caller's W3C traceparent: the request continues that trace.
      const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
      const callerSpan = '00f067aa0ba902b7';
      const answer = await score(serve.url, { traceparent: `00-${callerTrace}-${callerSpan}-01` });
      expect(answer.traceId).toBe(callerTrace);
      // Batches go out every 100 ms while the server runs; the operation span ends last.
      const all = await receiver.waitFor((spans) => spans.some((s) => s.traceId === callerTrace && s.name === 'query Score'));
      const spans = all.filter((s) => s.traceId === callerTrace);

      const exports = receiver.received.filter((r) => decodeExport(r)[0]?.resource['service.name'] === 'tessera-otlp-protobuf');
      expect(exports.length).toBeGreaterThan(0);
      for (const request of exports) {
        expect(request.path).toBe('/v1/traces');
        expect(request.headers['content-type']).toBe('application/x-protobuf');
        expect(request.headers['x-collector-token']).toBe('t0ken');
      }
      for (const span of spans) {
        expect(span.resource).toEqual({
          'service.name': 'tessera-otlp-protobuf',
          'deployment.environment.name': 'test',
          team: 'risk',
          'telemetry.sdk.language': 'nodejs',
          'telemetry.sdk.name': 'opentelemetry',
          'telemetry.sdk.version': expect.stringMatching(/^\d+\.\d+\.\d+/),
        });
        expect(span.scope).toBe('tessera');
      }

      const operation = spans.find((s) => s.name === 'query Score') as ExportedSpan;
      expect(operation.parentSpanId).toBe(callerSpan);
      expect(operation.kind).toBe(SERVER);
      expect(operation.attributes).toEqual(SCORE_OPERATION_ATTRIBUTES);
      expect(exportedTreeOf(spans, operation)).toEqual(scoreTree());
      expect(spans).toHaveLength(SCORE_SPAN_COUNT);

      const pipeline = spans.find((s) => s.name === 'tessera.pipeline creditScore') as ExportedSpan;
      expect(pipeline.kind).toBe(INTERNAL);
      expect(pipeline.attributes).toEqual(pipelineAttributes(answer.requestId, APPLICANT.applicantId));
      const fraud = spans.find((s) => s.name === 'tessera.node fraud') as ExportedSpan;
      const fraudRun = spans.find((s) => s.name === 'tessera.model_run fraud@v1') as ExportedSpan;
      expect(fraud.attributes).toMatchObject({
        'tessera.node': 'fraud',
        'tessera.node.kind': 'onnx',
        'tessera.version': 'v1',
        'tessera.version.sha256': createHash('sha256').update(readFileSync(path.join(repoRoot, 'examples/credit-score/models/fraud.onnx'))).digest('hex'),
        'tessera.policy': 'fixed(v1)',
        'tessera.variant': 'stable',
        'tessera.batch.size': 1,
        'tessera.batch.trace_id': callerTrace,
        'tessera.batch.span_id': fraudRun.spanId,
      });
      expect(fraudRun.links).toEqual([{ traceId: callerTrace, spanId: fraud.spanId }]);
      expect(fraudRun.attributes).toMatchObject({ 'tessera.node': 'fraud', 'tessera.version': 'v1', 'tessera.batch.size': 1 });
      expect(spans.every((s) => s.status.code === 0)).toBe(true);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });

  it('sends JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json, and flushes what is buffered on SIGTERM', async () => {
    // A delay of ten minutes: nothing leaves before the shutdown does.
    const serve = await startServe(SERVE_ARGS, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'tessera-otlp-json',
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    let stopped = false;
    try {
      await serve.waitFor(/^Traces: /m);
      expect(serve.stderr()).toContain(`Traces: OTLP http/json ${receiver.endpoint}. Metrics: `);
      const before = receiver.received.length;
      const answer = await score(serve.url);
      expect(receiver.received.length).toBe(before);
      expect(await serve.stop()).toBe(0);
      stopped = true;

      const exports = receiver.received.slice(before);
      expect(exports.length).toBeGreaterThan(0);
      for (const request of exports) {
        expect(request.path).toBe('/v1/traces');
        expect(request.headers['content-type']).toBe('application/json');
      }
      const spans = receiver.spans().filter((s) => s.traceId === answer.traceId);
      const operation = spans.find((s) => s.name === 'query Score') as ExportedSpan;
      // No caller trace: the operation span is the root.
      expect(operation.parentSpanId).toBe('');
      expect(operation.kind).toBe(SERVER);
      expect(exportedTreeOf(spans, operation)).toEqual(scoreTree());
      expect(spans).toHaveLength(SCORE_SPAN_COUNT);
      expect(spans.every((s) => s.resource['service.name'] === 'tessera-otlp-json')).toBe(true);
      expect((spans.find((s) => s.name === 'tessera.pipeline creditScore') as ExportedSpan).attributes['tessera.request_id']).toBe(answer.requestId);
    } finally {
      if (!stopped) await serve.stop();
    }
  });

  it('sends Zipkin JSON v2 with OTEL_TRACES_EXPORTER=zipkin to OTEL_EXPORTER_ZIPKIN_ENDPOINT', async () => {
    const serve = await startServe(SERVE_ARGS, {
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${receiver.endpoint}/api/v2/spans`,
      OTEL_SERVICE_NAME: 'tessera-zipkin',
      OTEL_BSP_MAX_QUEUE_SIZE: '4096',
    });
    let stopped = false;
    try {
      await serve.waitFor(/^Traces: /m);
      expect(serve.stderr()).toContain(`Traces: Zipkin ${receiver.endpoint}/api/v2/spans. Metrics: `);
      // The variable sets the export queue's size (its default is below).
      expect(await queueCapacity(serve.url)).toBe(4096);
      const answer = await score(serve.url);
      expect(await serve.stop()).toBe(0);
      stopped = true;
      const zipkin = receiver.received
        .filter((r) => r.path === '/api/v2/spans')
        .flatMap((r) => JSON.parse(r.body.toString('utf8')) as { traceId: string; id: string; parentId?: string; name: string; kind?: string; localEndpoint: { serviceName: string }; tags: Record<string, string> }[])
        .filter((s) => s.traceId === answer.traceId);
      expect(zipkin).toHaveLength(SCORE_SPAN_COUNT);
      expect(zipkin.every((s) => s.localEndpoint.serviceName === 'tessera-zipkin')).toBe(true);
      const operation = zipkin.find((s) => s.name === 'query Score');
      expect(operation).toMatchObject({ kind: 'SERVER', tags: { 'graphql.operation.name': 'Score', 'http.response.status_code': '200' } });
      expect(operation?.parentId).toBeUndefined();
      const pipeline = zipkin.find((s) => s.name === 'tessera.pipeline creditScore');
      expect(pipeline).toMatchObject({ parentId: operation?.id, tags: { 'tessera.request_id': answer.requestId } });
      expect(zipkin.filter((s) => s.parentId === pipeline?.id).map((s) => s.name).sort()).toEqual(SCORE_NODES.map((id) => `tessera.node ${id}`).sort());
    } finally {
      if (!stopped) await serve.stop();
    }
  });

  it('samples as OTEL_TRACES_SAMPLER says: parent-based ratio 0 drops new traces and keeps a sampled caller’s', async () => {
    const serve = await startServe(SERVE_ARGS, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_SERVICE_NAME: 'tessera-sampled',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    });
    let stopped = false;
    try {
      const dropped = await score(serve.url);
      expect(dropped.traceId).toBeNull();
      const callerTrace = '0af7651916cd43dd8448eb211c80319c';
      const kept = await score(serve.url, { traceparent: `00-${callerTrace}-b7ad6b7169203331-01` });
      expect(kept.traceId).toBe(callerTrace);
      expect(await serve.stop()).toBe(0);
      stopped = true;
      const spans = receiver.spans().filter((s) => s.resource['service.name'] === 'tessera-sampled');
      expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([callerTrace]));
      expect(spans).toHaveLength(SCORE_SPAN_COUNT);
    } finally {
      if (!stopped) await serve.stop();
    }
  });

  it('registers no tracer without an exporter: no trace id, and a caller’s trace is not continued', async () => {
    const serve = await startServe(SERVE_ARGS, { OTEL_SERVICE_NAME: 'tessera-unexported' });
    try {
      await serve.waitFor(/^Traces: /m);
      expect(serve.stderr()).toContain('Traces: not exported (set OTEL_EXPORTER_OTLP_ENDPOINT or --trace-file). Metrics: ');
      const answer = await score(serve.url, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
      expect(answer.traceId).toBeNull();
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    expect(receiver.received.some((r) => r.body.includes('tessera-unexported'))).toBe(false);
  });
});

describe('a collector that cannot be reached', () => {
  it('is reported once in the log, however many exports fail, and the spans it lost are counted at /metrics', async () => {
    // A port that was just free: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const serve = await startServe(SERVE_ARGS, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '300', OTEL_BSP_SCHEDULE_DELAY: '50' });
    const failedSpans = async () => {
      const text = await (await fetch(new URL('/metrics', serve.url))).text();
      const line = text.split('\n').find((l) => l.startsWith('otel_sdk_processor_span_processed_total{') && l.includes('error_type="Error"'));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    try {
      // Tessera's default queue: about a thousand requests' spans, where the spec's 2,048 overflowed.
      expect(await queueCapacity(serve.url)).toBe(16_384);
      await score(serve.url);
      await serve.waitFor(/^error: OpenTelemetry: Error: connect ECONNREFUSED/m);
      await score(serve.url);
      // Both requests' spans failed to export, in more than one export.
      while ((await failedSpans()) < 2 * SCORE_SPAN_COUNT) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await failedSpans()).toBe(2 * SCORE_SPAN_COUNT);
      expect(serve.stderr().match(/OpenTelemetry: /g)).toHaveLength(1);
      expect(serve.stderr()).toContain(`error: OpenTelemetry: Error: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });
});

describe('exporter settings that cannot work', () => {
  it('are refused before anything is registered, naming the variable and what it takes', () => {
    expect(() => registerTelemetry({ env: { OTEL_TRACES_EXPORTER: 'otlp,zipkn' } })).toThrow(
      'OTEL_TRACES_EXPORTER takes otlp, zipkin, console, none (comma-separated); got "zipkn". Did you mean "zipkin"?',
    );
    expect(() => registerTelemetry({ env: { OTEL_TRACES_EXPORTER: 'jaeger' } })).toThrow('OTEL_TRACES_EXPORTER takes otlp, zipkin, console, none (comma-separated); got "jaeger".');
    expect(() => registerTelemetry({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } })).toThrow(
      'OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json; got "grpc" (gRPC is not supported).',
    );
    expect(() => registerTelemetry({ env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidraito' } })).toThrow('OTEL_TRACES_SAMPLER takes always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio; got "parentbased_traceidraito". Did you mean "parentbased_traceidratio"?');
    expect(() => registerTelemetry({ env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' } })).toThrow('OTEL_TRACES_SAMPLER_ARG must be a probability from 0 to 1; got "2".');
    expect(() => registerTelemetry({ env: { OTEL_SPAN_LINK_COUNT_LIMIT: 'all' } })).toThrow('OTEL_SPAN_LINK_COUNT_LIMIT must be a whole number of 0 or more; got "all".');
  });
});
