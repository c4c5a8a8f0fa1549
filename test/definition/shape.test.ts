import { describe, it } from 'vitest';
import { expectProblems, expectValid } from './harness.js';

const rule = 'shape';

describe('shape: the file against the published JSON Schema', () => {
  it('accepts every optional key in its place', async () => {
    await expectValid(`
      $schema: ../pipeline.schema.json
      name: demo
      description: Every optional key.
      routingKey: id
      enums:
        Tier: [BASIC, GOLD]
      input:
        id: { type: ID, description: The unit. }
        x: { type: Float, min: 0, max: 10, default: 1.5 }
        tier: { type: Tier, default: GOLD }
      nodes:
        half:
          kind: expression
          description: Half of x.
          type: Float
          expr: input.x / 2.0
          routing: { policy: fixed }
        score:
          kind: combiner
          method: scorecard
          scorecard: { baseScore: 600, baseOdds: 2, pointsToDoubleOdds: 20, min: 300, max: 850, round: false }
          intercept: 0.5
          reasons: { top: 2, higherIsBetter: true }
          components:
            half: { value: half.value, weight: -1, transform: identity, reference: 0.5, reason: { code: HALF, description: Half is high. } }
          versions:
            v1: { description: First. }
            v2: { weights: { half: -2 }, intercept: 0 }
          routing: { policy: split, weights: { v1: 9, v2: 1 }, salt: demo-2026 }
      outputs:
        score: score.value
    `);
  });

  it('reports an empty file and a file that is not a map', async () => {
    await expectProblems('', [{ rule, path: '', line: 1, column: 1, message: 'Expected a map, got nothing.' }]);
    await expectProblems('- name: demo\n', [{ rule, path: '', line: 1, column: 1, message: 'Expected a map, got a list.' }]);
  });

  it('reports unknown keys at the key, with the expected keys and a suggestion', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      inputs:
        id: { type: ID }
      nodes:
        half:
          kind: expression
          exp: input.id
          typ: Float
        score:
          kind: combiner
          method: mean
          components:
            a: { value: half.value, wieght: 2 }
      outputs:
        half: half.value
        colour: half.value
    `,
      [
        { rule, path: '', line: 1, column: 1, message: 'Missing required key "input".' },
        {
          rule,
          path: 'inputs',
          line: 3,
          column: 1,
          message: 'Unknown key "inputs". Expected one of: $schema, name, description, routingKey, input, enums, nodes, outputs. Did you mean "input", "enums" or "outputs"?',
        },
        { rule, path: 'nodes.half.exp', line: 8, column: 5, message: 'Unknown key "exp". Expected one of: kind, description, expr, type, versions, routing, fallback. Did you mean "expr"?' },
        { rule, path: 'nodes.half.typ', line: 9, column: 5, message: 'Unknown key "typ". Expected one of: kind, description, expr, type, versions, routing, fallback. Did you mean "type"?' },
        {
          rule,
          path: 'nodes.score.components.a.wieght',
          line: 14,
          column: 31,
          message: 'Unknown key "wieght". Expected one of: value, weight, transform, reference, reason. Did you mean "weight"?',
        },
      ],
    );
  });

  it('reports missing required keys at the map that lacks them', async () => {
    await expectProblems(
      `
      name: demo
      input:
        id: { description: no type }
      nodes:
        half:
          expr: input.id
        score:
          kind: combiner
          method: scorecard
          scorecard: { baseScore: 600, pointsToDoubleOdds: 20 }
          components:
            a: { weight: 2 }
      outputs:
        half: half.value
    `,
      [
        { rule, path: '', line: 1, column: 1, message: 'Missing required key "routingKey".' },
        { rule, path: 'input.id', line: 3, column: 7, message: 'Missing required key "type".' },
        { rule, path: 'nodes.half', line: 6, column: 5, message: 'Missing required key "kind": one of onnx, expression, combiner, switch.' },
        { rule, path: 'nodes.score.scorecard', line: 10, column: 16, message: 'Missing required key "baseOdds".' },
        { rule, path: 'nodes.score.components.a', line: 12, column: 10, message: 'Missing required key "value".' },
      ],
    );
  });

  it('reports values of the wrong type with what arrived', async () => {
    await expectProblems(
      `
      name: 5
      routingKey: id
      description: [a, b]
      input:
        id: { type: ID }
        x: Float
        y: { type: Float, min: "0" }
      nodes:
        score:
          kind: combiner
          method: mean
          reasons: { higherIsBetter: "yes" }
          components:
            a: { value: input.y, weight: "2" }
      outputs:
        score: score.value
    `,
      [
        { rule, path: 'name', line: 1, column: 7, message: 'Expected a string, got the number 5.' },
        { rule, path: 'description', line: 3, column: 14, message: 'Expected a string, got a list.' },
        { rule, path: 'input.x', line: 6, column: 6, message: 'Expected a map, got the string "Float".' },
        { rule, path: 'input.y.min', line: 7, column: 26, message: 'Expected a number, got the string "0".' },
        { rule, path: 'nodes.score.reasons.higherIsBetter', line: 12, column: 32, message: 'Expected true or false, got the string "yes".' },
        { rule, path: 'nodes.score.components.a.weight', line: 14, column: 36, message: 'Expected a number, got the string "2".' },
      ],
    );
  });

  it('reports an unknown node kind, routing policy or transform with the allowed values and a suggestion', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        half:
          kind: expresion
          expr: input.x / 2.0
        twice:
          kind: 2
        third:
          kind: expression
          expr: input.x / 3.0
          routing: { policy: canery }
        score:
          kind: combiner
          method: average
          components:
            a: { value: input.x, transform: logitt }
      outputs:
        third: third.value
    `,
      [
        { rule, path: 'nodes.half.kind', line: 8, column: 11, message: 'Unknown kind "expresion". Expected one of: onnx, expression, combiner, switch. Did you mean "expression"?' },
        { rule, path: 'nodes.twice.kind', line: 11, column: 11, message: 'Unknown kind 2. Expected one of: onnx, expression, combiner, switch.' },
        { rule, path: 'nodes.third.routing.policy', line: 15, column: 24, message: 'Unknown policy "canery". Expected one of: fixed, split, canary, shadow, bandit. Did you mean "canary"?' },
        { rule, path: 'nodes.score.method', line: 18, column: 13, message: 'Expected one of: weightedSum, logistic, mean, min, max, scorecard; got the string "average".' },
        {
          rule,
          path: 'nodes.score.components.a.transform',
          line: 20,
          column: 39,
          message: 'Expected one of: identity, logit, negLogit, log; got the string "logitt". Did you mean "logit" or "log"?',
        },
      ],
    );
  });

  it('reports names that GraphQL cannot take', async () => {
    await expectProblems(
      `
      name: credit-score
      routingKey: id
      enums:
        Tier: [BASIC, 2GOLD]
      input:
        id: { type: ID }
        1x: { type: Float }
      nodes:
        half-x:
          kind: expression
          expr: input.id
      outputs:
        half x: half.value
    `,
      [
        { rule, path: 'name', line: 1, column: 7, message: '"credit-score" is not a valid name: use letters, digits and underscores, not starting with a digit (GraphQL naming rules).' },
        { rule, path: 'enums.Tier.1', line: 4, column: 17, message: '"2GOLD" is not a valid name: use letters, digits and underscores, not starting with a digit (GraphQL naming rules).' },
        { rule, path: 'input.1x', line: 7, column: 3, message: '"1x" is not a valid name: use letters, digits and underscores, not starting with a digit (GraphQL naming rules).' },
        { rule, path: 'nodes.half-x', line: 9, column: 3, message: '"half-x" is not a valid name: use letters, digits and underscores, not starting with a digit (GraphQL naming rules).' },
        { rule, path: 'outputs.half x', line: 13, column: 3, message: '"half x" is not a valid name: use letters, digits and underscores, not starting with a digit (GraphQL naming rules).' },
      ],
    );
  });

  it('reports references that are not "input.<field>" or "<node>.<output>"', async () => {
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
          method: mean
          components:
            a: { value: inputx }
            b: { value: input.x.y }
      outputs:
        score: score
    `,
      [
        { rule, path: 'nodes.score.components.a.value', line: 11, column: 19, message: 'Expected a reference "input.<field>" or "<node>.<output>", got "inputx".' },
        { rule, path: 'nodes.score.components.b.value', line: 12, column: 19, message: 'Expected a reference "input.<field>" or "<node>.<output>", got "input.x.y".' },
        { rule, path: 'outputs.score', line: 14, column: 10, message: 'Expected a reference "input.<field>" or "<node>.<output>", got "score".' },
      ],
    );
  });

  it('reports empty lists and maps where at least one item or entry is required', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      enums:
        Tier: []
      input: {}
      nodes:
        pick:
          kind: switch
          cases: []
          default: other
        model:
          kind: onnx
          inputs:
            features: []
          outputs: {}
          versions: {}
      outputs: {}
    `,
      [
        { rule, path: 'enums.Tier', line: 4, column: 9, message: 'Expected at least 1 item, got 0.' },
        { rule, path: 'input', line: 5, column: 8, message: 'Expected at least 1 entry, got none.' },
        { rule, path: 'nodes.pick.cases', line: 9, column: 12, message: 'Expected at least 1 item, got 0.' },
        { rule, path: 'nodes.model.inputs.features', line: 14, column: 17, message: 'Expected at least 1 item, got 0.' },
        { rule, path: 'nodes.model.outputs', line: 15, column: 14, message: 'Expected at least 1 entry, got none.' },
        { rule, path: 'nodes.model.versions', line: 16, column: 15, message: 'Expected at least 1 entry, got none.' },
        { rule, path: 'outputs', line: 17, column: 10, message: 'Expected at least 1 entry, got none.' },
      ],
    );
  });

  it('reports numbers out of their range, empty strings and a malformed sha256', async () => {
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
          expr: ""
        score:
          kind: combiner
          method: scorecard
          scorecard: { baseScore: 600, baseOdds: 0, pointsToDoubleOdds: 20 }
          reasons: { top: -1 }
          components:
            a: { value: input.x, reason: { code: "" } }
        model:
          kind: onnx
          inputs: { features: [input.x] }
          outputs:
            p: { tensor: probabilities, column: 1.5 }
          versions:
            v1: { model: models/thin-file.onnx, sha256: ABC }
      outputs:
        score: score.value
    `,
      [
        { rule, path: 'nodes.half.expr', line: 9, column: 11, message: 'Expected a non-empty string.' },
        { rule, path: 'nodes.score.scorecard.baseOdds', line: 13, column: 44, message: 'Expected a number > 0, got 0.' },
        { rule, path: 'nodes.score.reasons.top', line: 14, column: 21, message: 'Expected a number ≥ 0, got -1.' },
        { rule, path: 'nodes.score.components.a.reason.code', line: 16, column: 44, message: 'Expected a non-empty string.' },
        { rule, path: 'nodes.model.outputs.p.column', line: 21, column: 43, message: 'Expected an integer, got the number 1.5.' },
        { rule, path: 'nodes.model.versions.v1.sha256', line: 23, column: 51, message: 'Expected a sha256 as 64 lowercase hex digits, got "ABC".' },
      ],
    );
  });
});
