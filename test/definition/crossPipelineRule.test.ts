import { describe, it } from 'vitest';
import { expectProblems, expectValid, shownPath } from './harness.js';

const rule = 'cross-pipeline';

/** A small valid pipeline named `name`, declaring `enums` (YAML flow maps) if given. */
const pipeline = (name: string, enums = '') => `
  name: ${name}
  routingKey: id
  enums: { ${enums} }
  input:
    id: { type: ID }
  nodes:
    one:
      kind: expression
      expr: "1.0"
  outputs:
    one: one.value
`;

describe('cross-pipeline rule', () => {
  it('accepts pipelines with distinct names that declare the same enum alike', async () => {
    await expectValid({
      'a.yaml': pipeline('alpha', 'Tier: [BASIC, GOLD]'),
      'b.yaml': pipeline('beta', 'Tier: [BASIC, GOLD]'),
    });
  });

  it('reports a pipeline name defined by two files once, in the second file', async () => {
    await expectProblems(
      { 'a.yaml': pipeline('score'), 'b.yaml': pipeline('score') },
      (dir) => [{ rule, path: 'name', line: 1, column: 7, message: `Pipeline "score" is already defined in ${shownPath(dir, 'a.yaml')}; pipeline names must be unique.`, file: 'b.yaml' }],
    );
  });

  it('reports a name that is another pipeline’s batch query field', async () => {
    await expectProblems(
      { 'a.yaml': pipeline('score'), 'b.yaml': pipeline('scoreBatch') },
      (dir) => [
        {
          rule,
          path: 'name',
          line: 1,
          column: 7,
          message: `Query field "scoreBatch" is already the batch query field of pipeline "score" in ${shownPath(dir, 'a.yaml')}; pipeline names must not clash.`,
          file: 'b.yaml',
        },
      ],
    );
  });

  it('reports node ids that make the same GraphQL output type, within a pipeline and across pipelines', async () => {
    await expectProblems(
      {
        'a.yaml': `
          name: credit
          routingKey: id
          input:
            id: { type: ID }
          nodes:
            scoreX:
              kind: expression
              expr: "1.0"
            ScoreX:
              kind: expression
              expr: "2.0"
          outputs:
            one: scoreX.value
        `,
        'b.yaml': `
          name: creditScore
          routingKey: id
          input:
            id: { type: ID }
          nodes:
            x:
              kind: expression
              expr: "1.0"
          outputs:
            one: x.value
        `,
      },
      (dir) => [
        {
          rule,
          path: 'nodes.ScoreX',
          line: 9,
          column: 3,
          message: `Node "ScoreX" would generate the GraphQL type "CreditScoreXOutputs", which node "scoreX" of pipeline "credit" (${shownPath(dir, 'a.yaml')}) already generates; rename one of them.`,
          file: 'a.yaml',
        },
        {
          rule,
          path: 'nodes.x',
          line: 6,
          column: 3,
          message: `Node "x" would generate the GraphQL type "CreditScoreXOutputs", which node "scoreX" of pipeline "credit" (${shownPath(dir, 'a.yaml')}) already generates; rename one of them.`,
          file: 'b.yaml',
        },
      ],
    );
  });

  it('reports an enum named like a type that a pipeline generates', async () => {
    await expectProblems(
      { 'a.yaml': pipeline('alpha', 'BetaInput: [ONE, TWO]'), 'b.yaml': pipeline('beta') },
      (dir) => [
        {
          rule,
          path: 'enums.BetaInput',
          line: 3,
          column: 10,
          message: `Enum "BetaInput" has the name of a GraphQL type that pipeline "beta" (${shownPath(dir, 'b.yaml')}) generates; rename the enum.`,
          file: 'a.yaml',
        },
      ],
    );
  });

  it('reports an enum declared with other values in another file, at its name', async () => {
    await expectProblems(
      {
        'a.yaml': pipeline('alpha', 'Tier: [BASIC, GOLD]'),
        'b.yaml': pipeline('beta', 'Tier: [BASIC, SILVER, GOLD]'),
      },
      (dir) => [
        {
          rule,
          path: 'enums.Tier',
          line: 3,
          column: 10,
          message: `Enum "Tier" is declared in ${shownPath(dir, 'a.yaml')} with values BASIC, GOLD; here with BASIC, SILVER, GOLD. Enums are shared across pipelines: use one definition or another name.`,
          file: 'b.yaml',
        },
      ],
    );
  });
});
