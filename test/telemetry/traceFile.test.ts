import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICANT } from '../helpers/applicants.js';
import { tessera } from '../helpers/cli.js';
import { tree } from '../helpers/otel.js';
import { decodeOtlpJson, exportedTreeOf, type ExportedSpan } from '../helpers/otelOtlp.js';
import { bundledPipelines, fixture } from '../helpers/paths.js';
import { pipelineAttributes, SCORE_SPAN_COUNT, scoreTree } from '../helpers/scoreTrace.js';
import { graphql, startServe } from '../helpers/serve.js';

const ERROR = 2;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tessera-trace-file-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Serves the bundled and the failing pipelines with `args`, no state, no watching, any port. */
const serve = (args: readonly string[], env: Record<string, string> = {}) =>
  startServe(['--pipelines', bundledPipelines, '--pipelines', fixture('failing'), '--state', 'memory', '--port', '0', '--no-watch', '--no-graphiql', ...args], env);

describe('tessera serve --trace-file', () => {
  it('writes every span as OTLP JSON, one export request per line, flushed on SIGTERM', async () => {
    const file = path.join(dir, 'traces.jsonl');
    const server = await serve(['--trace-file', file]);
    let stopped = false;
    try {
      await server.waitFor(/^Traces: /m);
      expect(server.stderr()).toContain(`Traces: OTLP JSON lines ${file}. Metrics: `);
      const scored = await graphql(server.url, 'query Score($input: CreditScoreInput!) { creditScore(input: $input) { requestId traceId score } }', { input: APPLICANT });
      expect(scored.errors).toBeUndefined();
      const failed = await graphql(server.url, 'query Ratio { ratio(input: { id: "r-1", count: 1, divisor: 0 }) { requestId traceId doubled ratio } }');
      expect(failed.errors?.map((e) => e.extensions?.code)).toEqual(['NODE_FAILED']);
      expect(await server.stop()).toBe(0);
      stopped = true;

      const text = readFileSync(file, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.slice(0, -1).split('\n');
      // Every line is a whole OTLP JSON ExportTraceServiceRequest (decodeOtlpJson checks each field against the protos).
      const spans = lines.flatMap((line) => decodeOtlpJson(line));
      expect(spans.every((s) => s.resource['service.name'] === 'tessera' && s.scope === 'tessera')).toBe(true);

      const score = scored.data?.creditScore as { requestId: string; traceId: string };
      const scoreSpans = spans.filter((s) => s.traceId === score.traceId);
      const operation = scoreSpans.find((s) => s.name === 'query Score') as ExportedSpan;
      expect(operation.parentSpanId).toBe('');
      expect(exportedTreeOf(scoreSpans, operation)).toEqual(scoreTree());
      expect(scoreSpans).toHaveLength(SCORE_SPAN_COUNT);
      expect((scoreSpans.find((s) => s.name === 'tessera.pipeline creditScore') as ExportedSpan).attributes).toEqual(pipelineAttributes(score.requestId, APPLICANT.applicantId));
      const repayment = scoreSpans.find((s) => s.name === 'tessera.node repayment') as ExportedSpan;
      const repaymentRun = scoreSpans.find((s) => s.name === 'tessera.model_run repayment@v1') as ExportedSpan;
      expect(repayment.attributes).toMatchObject({ 'tessera.policy': 'split(v1=80%,v2=20%)', 'tessera.variant': 'control', 'tessera.batch.size': 1, 'tessera.batch.span_id': repaymentRun.spanId });
      expect(repaymentRun.links).toEqual([{ traceId: score.traceId, spanId: repayment.spanId }]);

      const ratio = failed.data?.ratio as { requestId: string; traceId: string };
      const ratioSpans = spans.filter((s) => s.traceId === ratio.traceId);
      const ratioOperation = ratioSpans.find((s) => s.name === 'query Ratio') as ExportedSpan;
      expect(exportedTreeOf(ratioSpans, ratioOperation)).toEqual(tree('query Ratio', tree('tessera.pipeline ratio', tree('tessera.node double'), tree('tessera.node ratio'))));
      const failedNode = ratioSpans.find((s) => s.name === 'tessera.node ratio') as ExportedSpan;
      expect(failedNode.status).toEqual({ code: ERROR, message: 'Node "ratio" (version v1) failed: division by zero' });
      expect(failedNode.attributes['tessera.error.code']).toBe('NODE_FAILED');
      expect(ratioSpans.filter((s) => s.status.code === ERROR)).toEqual([failedNode]);
    } finally {
      if (!stopped) await server.stop();
    }
  });

  it('stays empty with TESSERA_TRACING=off', async () => {
    const file = path.join(dir, 'off.jsonl');
    const server = await serve(['--trace-file', file], { TESSERA_TRACING: 'off' });
    await server.waitFor(/^Traces: /m);
    expect(server.stderr()).toContain('Traces: off (TESSERA_TRACING=off). Metrics: ');
    const scored = await graphql(server.url, 'query Score($input: CreditScoreInput!) { creditScore(input: $input) { traceId score } }', { input: APPLICANT });
    expect(scored.data?.creditScore).toMatchObject({ traceId: null });
    expect(await server.stop()).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('refuses to start when the file cannot be written, naming it and why', async () => {
    const file = path.join(dir, 'missing', 'traces.jsonl');
    const result = await tessera(['serve', '--pipelines', bundledPipelines, '--state', 'memory', '--port', '0', '--no-watch', '--trace-file', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`Cannot write the trace file "${file}": ENOENT: no such file or directory`);
  });
});
