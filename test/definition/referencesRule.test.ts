import { describe, it } from 'vitest';
import { expectProblems, expectValid } from './harness.js';

const rule = 'references';

describe('references rule', () => {
  it('accepts references to input fields and to outputs of other nodes, in fields and in CEL', async () => {
    await expectValid(`
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        half:
          kind: expression
          expr: input.x / 2.0
        anyAbove:
          kind: expression
          expr: "[half.value, input.x].exists(v, v > 1.0)"
        score:
          kind: combiner
          method: mean
          components:
            half: { value: half.value }
            x: { value: input.x }
      outputs:
        score: score.value
        reasons: score.reasons
        above: anyAbove.value
        x: input.x
    `);
  });

  it('reports an unknown input field, with a suggestion', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        income: { type: Float }
      nodes:
        half:
          kind: expression
          expr: input.incme / 2.0
        score:
          kind: combiner
          method: mean
          components:
            income: { value: input.incom }
      outputs:
        income: input.incomes
    `,
      [
        { rule, path: 'nodes.half.expr', line: 9, column: 11, message: 'Node "half" reads "input.incme", but the input has no field "incme". Did you mean "income"?' },
        { rule, path: 'nodes.score.components.income.value', line: 14, column: 24, message: 'Node "score" reads "input.incom", but the input has no field "incom". Did you mean "income"?' },
        { rule, path: 'outputs.income', line: 16, column: 11, message: 'Output "income" reads "input.incomes", but the input has no field "incomes". Did you mean "income"?' },
      ],
    );
  });

  it('reports an unknown node, with a suggestion, in fields, switch branches, outputs and CEL', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        ratio:
          kind: expression
          expr: input.x / 2.0
        scaled:
          kind: expression
          expr: ratoi.value * 2.0
        score:
          kind: combiner
          method: mean
          components:
            ratio: { value: raito.value }
        pick:
          kind: switch
          cases:
            - when: input.x > 1.0
              then: scaeld
          default: ratio
      outputs:
        ratio: ration.value
        other: unrelated.value
    `,
      [
        { rule, path: 'nodes.scaled.expr', line: 12, column: 11, message: 'Node "scaled" reads "ratoi.value", but no node "ratoi" exists. Did you mean "ratio"?' },
        { rule, path: 'nodes.score.components.ratio.value', line: 17, column: 23, message: 'Node "score" reads "raito.value", but no node "raito" exists. Did you mean "ratio"?' },
        { rule, path: 'nodes.pick.cases.0.then', line: 22, column: 15, message: 'Node "pick" reads "scaeld", but no node "scaeld" exists. Did you mean "scaled"?' },
        { rule, path: 'outputs.ratio', line: 25, column: 10, message: 'Output "ratio" reads "ration.value", but no node "ration" exists. Did you mean "ratio"?' },
        { rule, path: 'outputs.other', line: 26, column: 10, message: 'Output "other" reads "unrelated.value", but no node "unrelated" exists.' },
      ],
    );
  });

  it('reports a node that reads itself, and a switch that picks itself, once each', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        grow:
          kind: expression
          expr: grow.value + input.x
        score:
          kind: combiner
          method: mean
          components:
            x: { value: input.x }
            self: { value: score.value }
        pick:
          kind: switch
          cases:
            - when: input.x > 1.0
              then: grow
          default: pick
      outputs:
        score: score.value
    `,
      [
        { rule, path: 'nodes.grow.expr', line: 9, column: 11, message: 'Node "grow" reads itself ("grow.value").' },
        { rule, path: 'nodes.score.components.self.value', line: 15, column: 22, message: 'Node "score" reads itself ("score.value").' },
        { rule, path: 'nodes.pick.default', line: 21, column: 14, message: 'Switch "pick" cannot pick itself as a branch.' },
      ],
    );
  });

  it('reports an output that a node does not have, with its outputs and a suggestion', async () => {
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
          expr: input.x / 2.0
        score:
          kind: combiner
          method: scorecard
          scorecard: { baseScore: 600, baseOdds: 2, pointsToDoubleOdds: 20 }
          components:
            half: { value: half.valeu }
        both:
          kind: combiner
          method: logistic
          components:
            x: { value: input.x }
        grade:
          kind: expression
          expr: both.logits > 0.0
      outputs:
        probability: both.probability
        half: half.vlue
    `,
      [
        { rule, path: 'nodes.score.components.half.value', line: 15, column: 22, message: 'Node "score" reads "half.valeu", but node "half" has no output "valeu". Its outputs: value. Did you mean "value"?' },
        { rule, path: 'nodes.grade.expr', line: 23, column: 11, message: 'Node "grade" reads "both.logits", but node "both" has no output "logits". Its outputs: value, contributions, reasons, logit. Did you mean "logit"?' },
        { rule, path: 'outputs.probability', line: 25, column: 16, message: 'Output "probability" reads "both.probability", but node "both" has no output "probability". Its outputs: value, contributions, reasons, logit.' },
        { rule, path: 'outputs.half', line: 26, column: 9, message: 'Output "half" reads "half.vlue", but node "half" has no output "vlue". Its outputs: value. Did you mean "value"?' },
      ],
    );
  });

  it('leaves names bound by CEL macros alone, and reports a name that is neither bound nor a node', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        bound:
          kind: expression
          expr: "[1.0, 2.0].exists(v, v > input.x)"
        unbound:
          kind: expression
          expr: "[1.0, 2.0].exists(v, w > input.x)"
      outputs:
        bound: bound.value
    `,
      [{ rule, path: 'nodes.unbound.expr', line: 12, column: 11, message: 'Node "unbound" reads "w", but no node "w" exists.' }],
    );
  });

  it('does not report again what reads a node that failed', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        broken:
          kind: expression
          expr: input.y * 2.0
        twice:
          kind: expression
          expr: broken.value * 2.0
        score:
          kind: combiner
          method: mean
          components:
            broken: { value: broken.value }
      outputs:
        broken: broken.value
        twice: twice.value
    `,
      [{ rule, path: 'nodes.broken.expr', line: 9, column: 11, message: 'Node "broken" reads "input.y", but the input has no field "y". Did you mean "x"?' }],
    );
  });
});
