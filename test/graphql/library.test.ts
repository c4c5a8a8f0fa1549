import { graphql } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPipelines } from '../../src/definition/load.js';
import { createEngine, type Engine } from '../../src/execution/engine.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { APPLICANT } from '../helpers/applicants.js';
import { bundledPipelines } from '../helpers/paths.js';

describe('the schema as a library', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await assertPipelines(bundledPipelines));
  });
  afterAll(async () => {
    await engine.close();
  });

  it('answers through graphql-js without a context value (no server, no trace context)', async () => {
    const result = await graphql({
      schema: buildSchema(engine),
      source: 'query Score($input: CreditScoreInput!) { creditScore(input: $input) { score grade } creditScoreBatch(inputs: [$input]) { grade } }',
      variableValues: { input: APPLICANT },
    });
    expect(result.errors).toBeUndefined();
    const data = result.data as { creditScore: { score: number; grade: string }; creditScoreBatch: { grade: string }[] };
    expect(Number.isInteger(data.creditScore.score)).toBe(true);
    expect(data.creditScoreBatch).toEqual([{ grade: data.creditScore.grade }]);
  });
});
