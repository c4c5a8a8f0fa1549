import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICANT } from '../helpers/applicants.js';
import { registerInMemoryTelemetry, startTracedServer, type InMemoryTelemetry, type TracedServer } from '../helpers/otel.js';
import { bundledPipelines } from '../helpers/paths.js';

let otel: InMemoryTelemetry;
let server: TracedServer;
const previous = process.env.TESSERA_TRACING;

beforeAll(async () => {
  otel = registerInMemoryTelemetry();
  // As `tessera serve` sees it: the engine and the server read the variable when they are made.
  process.env.TESSERA_TRACING = 'off';
  server = await startTracedServer(bundledPipelines, { telemetry: otel.telemetry });
});

afterAll(async () => {
  await server.close();
  await otel.telemetry.shutdown();
  if (previous === undefined) delete process.env.TESSERA_TRACING;
  else process.env.TESSERA_TRACING = previous;
});

describe('TESSERA_TRACING=off', () => {
  it('creates no span at all, even for a traced caller, and still answers with timings and a null traceId', async () => {
    const single = await server.post(
      'query Score($input: CreditScoreInput!) { creditScore(input: $input) { score traceId timings { node batchSize } } }',
      { input: APPLICANT },
      { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    );
    expect(single.status).toBe(200);
    expect(single.body.errors).toBeUndefined();
    const result = single.body.data?.creditScore as { score: number; traceId: string | null; timings: { node: string; batchSize: number | null }[] };
    expect(result.traceId).toBeNull();
    expect(Number.isInteger(result.score)).toBe(true);
    expect(result.timings.find((t) => t.node === 'fraud')).toEqual({ node: 'fraud', batchSize: 1 });

    const batch = await server.query('query Many($inputs: [CreditScoreInput!]!) { creditScoreBatch(inputs: $inputs) { score traceId timings { node batchSize } } }', {
      inputs: ['off-1', 'off-2', 'off-3'].map((applicantId) => ({ ...APPLICANT, applicantId })),
    });
    expect(batch.errors).toBeUndefined();
    const rows = batch.data?.creditScoreBatch as { traceId: string | null; timings: { node: string; batchSize: number | null }[] }[];
    expect(rows.map((row) => row.traceId)).toEqual([null, null, null]);
    expect(rows.map((row) => row.timings.find((t) => t.node === 'fraud')?.batchSize)).toEqual([3, 3, 3]);

    // Not even started and dropped: no span began (server, pipeline, node or model run), while
    // the SDK registered in this process does record a span when one is started.
    trace.getTracer('test').startSpan('control').end();
    expect(otel.started.names).toEqual(['control']);
    expect(otel.exporter.getFinishedSpans().map((s) => s.name)).toEqual(['control']);
  });
});
