import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledPipelines, repoRoot } from './helpers/paths.js';
import { startServer, type RunningServer } from './helpers/server.js';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const blocks = (language: string) => [...readme.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);

describe('README examples work as pasted', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(bundledPipelines);
  });
  afterAll(async () => {
    await server.close();
  });

  it('the quick-start curl body returns a score, a grade, reason codes, versions with sha256 and a request id', async () => {
    const curl = blocks('sh').find((block) => block.includes('curl'));
    const body = /-d '(.*)'/.exec(curl ?? '')?.[1];
    expect(curl).toContain('http://127.0.0.1:4000/graphql');
    const { query } = JSON.parse(body as string) as { query: string };
    const response = await server.query(query);
    expect(response.errors).toBeUndefined();
    const result = response.data?.creditScore as { requestId: string; score: number; grade: string; reasons: unknown[]; routing: { sha256: string }[] };
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof result.score).toBe('number');
    expect(result.grade).toMatch(/^[A-E]$/);
    expect(Array.isArray(result.reasons)).toBe(true);
    expect(result.routing.length).toBeGreaterThan(5);
    for (const decision of result.routing) expect(decision.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('every GraphQL example is valid against the served schema, and the quick-start query runs', async () => {
    const documents = blocks('graphql');
    expect(documents.length).toBeGreaterThanOrEqual(4);
    for (const document of documents) expect(validate(server.server.schema, parse(document)).map((e) => e.message)).toEqual([]);
    const quick = await server.query(documents[0] as string);
    expect(quick.errors).toBeUndefined();
    const fraudOnly = await server.query(documents.find((d) => d.includes('FraudOnly')) as string);
    expect(fraudOnly.data?.creditScore).toMatchObject({ routing: [{ node: 'fraud', version: 'v1' }] });
  });
});
