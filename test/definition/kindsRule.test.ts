import { describe, it } from 'vitest';
import { expectProblems, expectValid } from './harness.js';

const rule = 'kinds';

describe('kinds rule', () => {
  it('accepts expression and combiner nodes with what their kind needs', async () => {
    await expectValid(`
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        half:
          kind: expression
          type: Float
          expr: input.x / 2.0
        pair:
          kind: expression
          type: "[Float]"
          versions:
            v1: { expr: "[input.x, 1.0]" }
        score:
          kind: combiner
          method: scorecard
          scorecard: { baseScore: 600, baseOdds: 2, pointsToDoubleOdds: 20, min: 300, max: 850 }
          components:
            half: { value: half.value }
          versions:
            v1: {}
            v2: { weights: { half: 2 } }
      outputs:
        score: score.value
        pair: pair.value
    `);
  });

  it('reports an expression node without an expression, and one with both "expr" and "versions"', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        empty:
          kind: expression
          description: Forgot the expression.
        both:
          kind: expression
          expr: input.x
          versions:
            v1: { expr: input.x * 2.0 }
      outputs:
        x: input.x
    `,
      [
        { rule, path: 'nodes.empty', line: 8, column: 5, message: 'Expression node "empty" needs "expr" (or "versions", each with its "expr").' },
        { rule, path: 'nodes.both.expr', line: 12, column: 11, message: 'Expression node "both" has both "expr" and "versions"; put the expression in each version.' },
      ],
    );
  });

  it('reports an unknown declared expression type, suggesting the GraphQL name for a CEL one', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        half:
          kind: expression
          type: double
          expr: input.x / 2.0
        third:
          kind: expression
          type: Flaot
          expr: input.x / 3.0
      outputs:
        half: half.value
        third: third.value
    `,
      [
        {
          rule,
          path: 'nodes.half.type',
          line: 9,
          column: 11,
          message: 'Unknown type "double". Expected one of: Float, Int, String, Boolean, [Float], [Int], [String], [Boolean]. Did you mean "Float"?',
        },
        {
          rule,
          path: 'nodes.third.type',
          line: 13,
          column: 11,
          message: 'Unknown type "Flaot". Expected one of: Float, Int, String, Boolean, [Float], [Int], [String], [Boolean]. Did you mean "Float"?',
        },
      ],
    );
  });

  it('reports a scorecard combiner without its section, and the section on another method', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        score:
          kind: combiner
          method: scorecard
          components:
            x: { value: input.x }
        mean:
          kind: combiner
          method: mean
          scorecard: { baseScore: 600, baseOdds: 2, pointsToDoubleOdds: 20 }
          components:
            x: { value: input.x }
      outputs:
        score: score.value
        mean: mean.value
    `,
      [
        { rule, path: 'nodes.score', line: 8, column: 5, message: 'Combiner "score" uses method scorecard but has no "scorecard" section (baseScore, baseOdds, pointsToDoubleOdds).' },
        { rule, path: 'nodes.mean.scorecard', line: 15, column: 16, message: '"scorecard" applies to method scorecard; "mean" uses mean.' },
      ],
    );
  });

  it('reports scorecard bounds the wrong way round and version weights for components that do not exist', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        score:
          kind: combiner
          method: scorecard
          scorecard: { baseScore: 600, baseOdds: 2, pointsToDoubleOdds: 20, min: 850, max: 300 }
          components:
            x: { value: input.x }
          versions:
            v1: { weights: { x: 1, y: 2 } }
      outputs:
        score: score.value
    `,
      [
        { rule, path: 'nodes.score.scorecard.max', line: 10, column: 86, message: '"max" (300) is below "min" (850).' },
        { rule, path: 'nodes.score.versions.v1.weights.y', line: 14, column: 30, message: 'Combiner "score" has no component "y". Components: x.' },
      ],
    );
  });
});
