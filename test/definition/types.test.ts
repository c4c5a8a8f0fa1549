import { describe, it } from 'vitest';
import { expectProblems, expectValid } from './harness.js';

describe('types between connected nodes', () => {
  it('accepts Int and Boolean values as combiner components and declared types that match', async () => {
    await expectValid(`
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        n: { type: Int }
        vip: { type: Boolean }
      nodes:
        count:
          kind: expression
          type: Int
          expr: input.n * 2
        label:
          kind: expression
          type: String
          expr: 'input.vip ? "vip" : "regular"'
        score:
          kind: combiner
          method: weightedSum
          components:
            count: { value: count.value }
            vip: { value: input.vip }
      outputs:
        score: score.value
        label: label.value
    `);
  });

  it('reports combiner components that are not numbers: a String, an enum and a list', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      enums:
        Tier: [BASIC, GOLD]
      input:
        id: { type: ID }
        x: { type: Float }
        tier: { type: Tier }
      nodes:
        label:
          kind: expression
          expr: '"high"'
        pair:
          kind: expression
          expr: "[input.x, 1.0]"
        score:
          kind: combiner
          method: mean
          components:
            label: { value: label.value }
            tier: { value: input.tier }
            pair: { value: pair.value }
      outputs:
        score: score.value
    `,
      [
        { rule: 'types', path: 'nodes.score.components.label.value', line: 20, column: 23, message: 'Component "label" of combiner "score" must be a number, but "label.value" is String.' },
        { rule: 'types', path: 'nodes.score.components.tier.value', line: 21, column: 22, message: 'Component "tier" of combiner "score" must be a number, but "input.tier" is enum Tier.' },
        { rule: 'types', path: 'nodes.score.components.pair.value', line: 22, column: 22, message: 'Component "pair" of combiner "score" must be a number, but "pair.value" is [Float].' },
      ],
    );
  });

  it('reports an expression that returns another type than it declares, with how to convert', async () => {
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
          type: Float
          expr: '"0.5"'
        count:
          kind: expression
          type: Int
          expr: input.x * 2.0
        label:
          kind: expression
          type: String
          expr: input.x > 1.0
        flag:
          kind: expression
          type: Boolean
          expr: input.x
      outputs:
        ratio: ratio.value
    `,
      [
        { rule: 'expression', path: 'nodes.ratio.expr', line: 10, column: 11, message: 'Expression of node "ratio" returns String, but the node declares type Float. Wrap it in double(...) to convert.' },
        { rule: 'expression', path: 'nodes.count.expr', line: 14, column: 11, message: 'Expression of node "count" returns Float, but the node declares type Int. Wrap it in int(...) to convert.' },
        { rule: 'expression', path: 'nodes.label.expr', line: 18, column: 11, message: 'Expression of node "label" returns Boolean, but the node declares type String. Wrap it in string(...) to convert.' },
        { rule: 'expression', path: 'nodes.flag.expr', line: 22, column: 11, message: 'Expression of node "flag" returns Float, but the node declares type Boolean.' },
      ],
    );
  });

  it('reports versions of an expression that return different types, at the later version', async () => {
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
          versions:
            v1: { expr: input.x / 2.0 }
            v2: { expr: int(input.x) / 2 }
      outputs:
        ratio: ratio.value
    `,
      [{ rule: 'expression', path: 'nodes.ratio.versions.v2.expr', line: 11, column: 19, message: 'Version "v2" of node "ratio" returns Int, but earlier versions return Float.' }],
    );
  });

  it('reports CEL type errors: int + double, ternary branches of different types, a map result', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        n: { type: Int }
        x: { type: Float }
      nodes:
        sum:
          kind: expression
          expr: input.n + input.x
        pick:
          kind: expression
          expr: 'input.x > 1.0 ? 1 : "one"'
        both:
          kind: expression
          expr: "{'n': input.n}"
      outputs:
        sum: sum.value
    `,
      [
        { rule: 'expression', path: 'nodes.sum.expr', line: 10, column: 11, message: 'The expression of node "sum" has a type error: no such overload: int + double.' },
        { rule: 'expression', path: 'nodes.pick.expr', line: 13, column: 11, message: 'The expression of node "pick" has a type error: Ternary branches must have the same type, got \'int\' and \'string\'.' },
        {
          rule: 'expression',
          path: 'nodes.both.expr',
          line: 16,
          column: 11,
          message: 'The expression of node "both" has a type error: its result type is map<string, int>; an expression must return double, int, string, bool or a list of them.',
        },
      ],
    );
  });

  it('reports a CEL expression that does not parse', async () => {
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
          expr: "input.x / "
      outputs:
        half: half.value
    `,
      [{ rule: 'expression', path: 'nodes.half.expr', line: 9, column: 11, message: 'The expression of node "half" does not parse: Unexpected token: EOF.' }],
    );
  });

  it('reports an unknown CEL variable as a node that does not exist, with a suggestion', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        score:
          kind: expression
          expr: input.x * 100.0
        grade:
          kind: expression
          expr: 'scroe.value > 50.0 ? "A" : "B"'
        check:
          kind: expression
          expr: inptu.x > 0.0
      outputs:
        grade: grade.value
    `,
      [
        { rule: 'references', path: 'nodes.grade.expr', line: 12, column: 11, message: 'Node "grade" reads "scroe.value", but no node "scroe" exists. Did you mean "score"?' },
        { rule: 'references', path: 'nodes.check.expr', line: 15, column: 11, message: 'Node "check" reads "inptu.x", but no node "inptu" exists. Did you mean "input"?' },
      ],
    );
  });

  it('reports switch branches that give different outputs, and a condition that is not a bool', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        low:
          kind: expression
          expr: input.x * 2.0
        high:
          kind: expression
          expr: '"high"'
        mean:
          kind: combiner
          method: mean
          components:
            x: { value: input.x }
        pick:
          kind: switch
          cases:
            - when: input.x < 1.0
              then: low
            - when: input.x < 2.0
              then: mean
          default: high
        pickByNumber:
          kind: switch
          cases:
            - when: input.x
              then: low
          default: low
      outputs:
        value: pick.value
    `,
      [
        {
          rule: 'types',
          path: 'nodes.pick.cases.1.then',
          line: 24,
          column: 15,
          message: 'Branches of switch "pick" must give the same outputs: "low" gives {value: Float}, "mean" gives {value: Float, contributions: [Contribution], reasons: [ReasonCode]}.',
        },
        { rule: 'types', path: 'nodes.pick.default', line: 25, column: 14, message: 'Branches of switch "pick" must give the same outputs: "low" gives {value: Float}, "high" gives {value: String}.' },
        { rule: 'expression', path: 'nodes.pickByNumber.cases.0.when', line: 29, column: 15, message: 'A switch condition must be a bool, but this one returns Float.' },
      ],
    );
  });
});
