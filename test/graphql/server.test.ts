import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPipelines } from '../../src/definition/load.js';
import { createEngine, type Engine } from '../../src/execution/engine.js';
import { APPLICANT, inputLiteral } from '../helpers/applicants.js';
import { bundledPipelines, fixture, repoRoot } from '../helpers/paths.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { createServer } from '../../src/server/server.js';
import { silentLogger } from '../../src/server/logger.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(path.join(repoRoot, file))).digest('hex');

describe('GraphQL server over the bundled credit-score pipeline', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer([bundledPipelines, fixture('failing')]);
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers the README query with score, grade, reasons, versions with sha256 and a request id', async () => {
    const response = await server.query(
      `query Score($input: CreditScoreInput!) {
        creditScore(input: $input) { requestId score grade decision reasons { code description contribution } routing { node version sha256 policy variant } }
      }`,
      { input: APPLICANT },
    );
    expect(response.errors).toBeUndefined();
    const result = response.data?.creditScore as {
      requestId: string;
      score: number;
      grade: string;
      decision: string;
      reasons: { code: string; contribution: number }[];
      routing: { node: string; version: string; sha256: string; policy: string; variant: string }[];
    };
    expect(result.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Number.isInteger(result.score) && result.score >= 300 && result.score <= 850).toBe(true);
    expect(['A', 'B', 'C', 'D', 'E']).toContain(result.grade);
    for (const reason of result.reasons) expect(reason.contribution).toBeLessThan(0);
    const nodes = result.routing.map((d) => d.node).sort();
    expect(nodes).toEqual(['affordability', 'debtToIncome', 'decision', 'defaultRisk', 'fraud', 'grade', 'loanToIncome', 'repayment', 'score']);
    const repayment = result.routing.find((d) => d.node === 'repayment');
    const expected = { v1: 'examples/credit-score/models/repayment-v1.onnx', v2: 'examples/credit-score/models/repayment-v2.onnx' };
    expect(repayment?.sha256).toBe(sha256(expected[repayment?.version as 'v1' | 'v2']));
    expect(repayment?.policy).toBe('split(v1=80%,v2=20%)');
    expect(result.routing.find((d) => d.node === 'fraud')).toEqual({
      node: 'fraud',
      version: 'v1',
      sha256: sha256('examples/credit-score/models/fraud.onnx'),
      policy: 'fixed(v1)',
      variant: 'stable',
    });
  });

  it('runs only the nodes the selected fields need', async () => {
    const onlyFraud = await server.query(`{ creditScore(input: ${inputLiteral(APPLICANT)}) { nodes { fraud { probability } } routing { node } } }`);
    expect(onlyFraud.errors).toBeUndefined();
    expect(onlyFraud.data?.creditScore).toMatchObject({ routing: [{ node: 'fraud' }] });
    const nothing = await server.query(`{ creditScore(input: ${inputLiteral(APPLICANT)}) { requestId routing { node } } }`);
    expect(nothing.data?.creditScore).toMatchObject({ routing: [] });
    const grade = await server.query(`{ creditScore(input: ${inputLiteral(APPLICANT)}) { ... on CreditScoreResult { grade } routing { node } } }`);
    const ran = (grade.data?.creditScore as { routing: { node: string }[] }).routing.map((d) => d.node).sort();
    expect(ran).toEqual(['affordability', 'debtToIncome', 'defaultRisk', 'fraud', 'grade', 'loanToIncome', 'repayment', 'score']);
  });

  it('runs only the branch a switch picks', async () => {
    const thin = { ...APPLICANT, applicantId: 'thin-1', creditHistoryMonths: 3 };
    const response = await server.query(`{ creditScore(input: ${inputLiteral(thin)}) { nodes { defaultRisk { branch probabilityOfDefault } } routing { node } } }`);
    const result = response.data?.creditScore as { nodes: { defaultRisk: { branch: string; probabilityOfDefault: number } }; routing: { node: string }[] };
    expect(result.nodes.defaultRisk.branch).toBe('thinFile');
    expect(result.routing.map((d) => d.node).sort()).toEqual(['debtToIncome', 'defaultRisk', 'loanToIncome', 'thinFile']);
  });

  it('keeps a unit on one version and splits units by the declared weights', async () => {
    const versions = async (ids: string[]) => {
      const response = await server.query(
        `query Batch($inputs: [CreditScoreInput!]!) { creditScoreBatch(inputs: $inputs) { nodes { repayment { probabilityOfDefault } } routing { node version } } }`,
        { inputs: ids.map((applicantId) => ({ ...APPLICANT, applicantId })) },
      );
      return (response.data?.creditScoreBatch as { routing: { node: string; version: string }[] }[]).map(
        (row) => row.routing.find((d) => d.node === 'repayment')?.version,
      );
    };
    const ids = Array.from({ length: 2000 }, (_, i) => `unit-${i}`);
    const first = await versions(ids);
    const second = await versions(ids);
    expect(second).toEqual(first);
    const v2 = first.filter((v) => v === 'v2').length;
    // Binomial(2000, 0.2): mean 400, sd 17.9; ±5 sd.
    expect(v2).toBeGreaterThan(310);
    expect(v2).toBeLessThan(490);
  });

  it('turns a failing node into an error on its fields only, with a stable code', async () => {
    const response = await server.query('{ ratio(input: { id: "1", count: 4, divisor: 0 }) { doubled ratio total } }');
    expect(response.data).toEqual({ ratio: { doubled: 8, ratio: null, total: null } });
    expect(response.errors).toEqual([
      {
        message: 'Node "ratio" (version v1) failed: division by zero',
        locations: [{ line: 1, column: 61 }],
        path: ['ratio', 'ratio'],
        extensions: { code: 'NODE_FAILED', node: 'ratio', version: 'v1' },
      },
      {
        message: 'Node "summary" did not run: node "ratio" (version v1) failed: division by zero',
        locations: [{ line: 1, column: 67 }],
        path: ['ratio', 'total'],
        extensions: { code: 'UPSTREAM_FAILED', node: 'summary', failedNode: 'ratio' },
      },
    ]);
  });

  it('answers every row of a batch; a bad row gets an error of its own', async () => {
    const response = await server.query(
      'query Rows($inputs: [RatioInput!]!) { ratioBatch(inputs: $inputs) { doubled ratio } }',
      { inputs: [{ id: 'a', count: 6, divisor: 3 }, { id: 'b', count: -1, divisor: 1 }, { id: 'c', count: 1, divisor: 0 }, { id: 'd', count: 9, divisor: 3 }] },
    );
    expect(response.data).toEqual({ ratioBatch: [{ doubled: 12, ratio: 2 }, null, { doubled: 2, ratio: null }, { doubled: 18, ratio: 3 }] });
    expect(response.errors).toEqual([
      {
        message: 'Input field "count" must be at least 0; got -1.',
        locations: [{ line: 1, column: 39 }],
        path: ['ratioBatch', 1],
        extensions: { code: 'BAD_USER_INPUT', field: 'count', rule: 'min', problems: [{ field: 'count', rule: 'min', message: 'Input field "count" must be at least 0; got -1.', limit: 0 }] },
      },
      {
        message: 'Node "ratio" (version v1) failed: division by zero',
        locations: [{ line: 1, column: 77 }],
        path: ['ratioBatch', 2, 'ratio'],
        extensions: { code: 'NODE_FAILED', node: 'ratio', version: 'v1' },
      },
    ]);
  });

  it('answers a batch of the most rows it takes, in a body of several megabytes, and refuses one row more', async () => {
    const rows = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `row-${i}-${'x'.repeat(60)}`, count: i, divisor: 1 }));
    const query = 'query Rows($inputs: [RatioInput!]!) { ratioBatch(inputs: $inputs) { ratio } }';
    // Over a megabyte of JSON: bodies this size once reached yoga empty, and failed as invalid JSON.
    expect(Buffer.byteLength(JSON.stringify({ query, variables: { inputs: rows(10_000) } }))).toBeGreaterThan(1_000_000);
    const largest = await server.post(query, { inputs: rows(10_000) });
    expect(largest.status).toBe(200);
    const answered = largest.body.data?.ratioBatch as { ratio: number }[];
    expect(answered).toHaveLength(10_000);
    expect(answered[9_999]).toEqual({ ratio: 9_999 });
    const tooMany = await server.post(query, { inputs: rows(10_001) });
    expect(tooMany.body.errors?.map((e) => e.message)).toEqual(['A batch takes at most 10000 inputs; got 10001.']);
  });

  it('answers a body that is not JSON with 400 and where it broke, without quoting the body back', async () => {
    const body = `{"query": "${'x'.repeat(100_000)}`;
    const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [{ message: 'POST body sent invalid JSON.', extensions: { code: 'BAD_REQUEST', originalError: { name: 'SyntaxError', message: 'Unterminated string in JSON at position 100011' } } }],
    });
  });

  it('answers a document nested too deeply to parse as a syntax error, not a server error', async () => {
    const depth = 10_000;
    for (const query of [
      `{ creditScore(input: { applicantId: "deep" }) ${'{ score '.repeat(depth)}${'}'.repeat(depth)} }`,
      `{ creditScore(input: { applicantId: ${'['.repeat(depth)}1${']'.repeat(depth)} }) { score } }`,
    ]) {
      const response = await server.post(query);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ errors: [{ message: 'Syntax Error: the document is nested too deeply to parse.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] });
    }
  });

  it('rejects an input with a wrong type, a missing field or a value out of range, naming the field and the rule', async () => {
    const wrongType = await server.post('{ ratio(input: { id: "1", count: "many", divisor: 1 }) { ratio } }');
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors?.map((e) => e.message)).toEqual(['Int cannot represent non-integer value: "many"']);
    const missing = await server.post('{ ratio(input: { id: "1", count: 1 }) { ratio } }');
    expect(missing.status).toBe(400);
    expect(missing.body.errors?.map((e) => e.message)).toEqual(['Field "RatioInput.divisor" of required type "Int!" was not provided.']);
    const variable = await server.post('query Q($input: RatioInput!) { ratio(input: $input) { ratio } }', { input: { id: '1', count: 2.5, divisor: 1 } });
    expect(variable.body.errors?.map((e) => e.message)).toEqual(['Variable "$input" got invalid value 2.5 at "input.count"; Int cannot represent non-integer value: 2.5']);
    const range = await server.query(`{ creditScore(input: ${inputLiteral({ ...APPLICANT, age: 12 })}) { score } }`);
    expect(range.data).toEqual({ creditScore: null });
    expect(range.errors?.[0]).toMatchObject({
      message: 'Input field "age" must be at least 18; got 12.',
      path: ['creditScore'],
      extensions: { code: 'BAD_USER_INPUT', field: 'age', rule: 'min' },
    });
  });

  it('describes pipelines: nodes, kinds, versions with hashes, traffic and edges', async () => {
    const response = await server.query(`{
      pipeline(name: "creditScore") {
        routingKey batchField
        node(id: "repayment") { kind versions { name sha256 artifact traffic } routing { policy description } }
        edges { from to kind }
      }
    }`);
    const pipeline = response.data?.pipeline as Record<string, unknown>;
    expect(pipeline.routingKey).toBe('applicantId');
    expect(pipeline.batchField).toBe('creditScoreBatch');
    expect(pipeline.node).toEqual({
      kind: 'ONNX',
      versions: [
        { name: 'v1', sha256: sha256('examples/credit-score/models/repayment-v1.onnx'), artifact: '../examples/credit-score/models/repayment-v1.onnx', traffic: 0.8 },
        { name: 'v2', sha256: sha256('examples/credit-score/models/repayment-v2.onnx'), artifact: '../examples/credit-score/models/repayment-v2.onnx', traffic: 0.2 },
      ],
      routing: { policy: 'split', description: 'split(v1=80%,v2=20%)' },
    });
    expect(pipeline.edges).toContainEqual({ from: 'debtToIncome', to: 'repayment', kind: 'DATA' });
    expect(pipeline.edges).toContainEqual({ from: 'thinFile', to: 'defaultRisk', kind: 'BRANCH' });
  });

  it('serves liveness and readiness', async () => {
    expect((await fetch(new URL('/health', server.url))).status).toBe(200);
    expect((await fetch(new URL('/ready', server.url))).status).toBe(200);
  });

  it('passes the graphql-http audit of the GraphQL-over-HTTP spec with zero errors', async () => {
    const results = await auditServer({ url: server.url.href });
    const failures = results.filter((result) => result.status === 'error').map((result) => `${result.name}: ${'reason' in result ? result.reason : ''}`);
    expect(failures).toEqual([]);
    expect(results.length).toBeGreaterThan(40);
  });
});

describe('error masking', () => {
  it('masks unexpected errors; deliberate ones keep their message and code', async () => {
    const real = createEngine(await assertPipelines(fixture('failing')));
    const broken: Engine = {
      ...real,
      start: () => {
        throw new Error('connection string postgres://admin:secret@db');
      },
    };
    const server = await startServer([], { engine: broken });
    try {
      const response = await server.post('{ ratio(input: { id: "1", count: 4, divisor: 0 }) { doubled } }');
      expect(response.body).toEqual({
        data: { ratio: null },
        errors: [{ message: 'Unexpected error.', locations: [{ line: 1, column: 3 }], path: ['ratio'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
      });
      const deliberate = await server.post('{ ratio(input: { id: "1", count: -4, divisor: 1 }) { doubled } }');
      expect(deliberate.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    } finally {
      await server.close();
    }
  });
});

describe('the request body limit', () => {
  it('answers a body over it with 413, whether its length is declared or it comes in chunks', async () => {
    const engine = createEngine(await assertPipelines(fixture('failing')));
    const server = createServer({ engine, logger: silentLogger, graphiql: false, maxRequestBodyBytes: 2_000 });
    const url = await server.listen(0);
    try {
      const body = (ids: number) => JSON.stringify({ query: 'query Rows($inputs: [RatioInput!]!) { ratioBatch(inputs: $inputs) { ratio } }', variables: { inputs: Array.from({ length: ids }, (_, i) => ({ id: `r${i}`, count: 1, divisor: 1 })) } });
      const post = (payload: string | ReadableStream<Uint8Array>) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload, ...(typeof payload === 'string' ? {} : { duplex: 'half' }) } as RequestInit);
      expect(Buffer.byteLength(body(10))).toBeLessThan(2_000);
      const within = await post(body(10));
      expect(within.status).toBe(200);
      expect(((await within.json()) as { data: { ratioBatch: unknown[] } }).data.ratioBatch).toHaveLength(10);

      expect(Buffer.byteLength(body(100))).toBeGreaterThan(2_000);
      const declared = await post(body(100));
      expect(declared.status).toBe(413);
      expect(await declared.json()).toEqual({ errors: [{ message: 'Request body too large', extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' } }] });
      // No Content-Length: the body streams in chunks, and the limit still holds.
      const bytes = new TextEncoder().encode(body(100));
      const chunked = await post(new ReadableStream({ start: (c) => (c.enqueue(bytes.slice(0, 1_500)), c.enqueue(bytes.slice(1_500)), c.close()) }));
      expect(chunked.status).toBe(413);
    } finally {
      await server.close();
      await engine.close();
    }
  });
});
