import { describe, it } from 'vitest';
import { expectProblems, expectValid } from './harness.js';

const rule = 'naming';

describe('naming rule', () => {
  it('accepts GraphQL names that Tessera does not reserve', async () => {
    await expectValid(`
      name: creditScore
      routingKey: id
      enums:
        Tier: [BASIC, GOLD]
      input:
        id: { type: ID }
        tier: { type: Tier }
      nodes:
        _private:
          kind: expression
          expr: input.tier == "GOLD"
        math2:
          kind: expression
          expr: "_private.value ? 1.0 : 0.0"
      outputs:
        gold: math2.value
    `);
  });

  it('reports a pipeline name that does not start with a lowercase letter', async () => {
    await expectProblems(
      `
      name: CreditScore
      routingKey: id
      input:
        id: { type: ID }
      nodes:
        one:
          kind: expression
          expr: "1.0"
      outputs:
        one: one.value
    `,
      [{ rule, path: 'name', line: 1, column: 7, message: 'Pipeline name "CreditScore" must start with a lowercase letter: it becomes the GraphQL query field (e.g. "creditScore").' }],
    );
  });

  it('reports a pipeline name taken by Tessera’s own query fields', async () => {
    await expectProblems(
      `
      name: pipelines
      routingKey: id
      input:
        id: { type: ID }
      nodes:
        one:
          kind: expression
          expr: "1.0"
      outputs:
        one: one.value
    `,
      [{ rule, path: 'name', line: 1, column: 7, message: 'Pipeline name "pipelines" is taken by Tessera’s own query field "pipelines"; rename the pipeline.' }],
    );
  });

  it('reports names starting with "__" once each, wherever they are', async () => {
    await expectProblems(
      `
      name: __score
      routingKey: id
      input:
        id: { type: ID }
        __x: { type: Float }
      nodes:
        __half:
          kind: expression
          expr: "1.0"
      outputs:
        __half: __half.value
    `,
      [
        { rule, path: 'name', line: 1, column: 7, message: '"__score" starts with "__", which GraphQL reserves for introspection.' },
        { rule, path: 'input.__x', line: 5, column: 3, message: 'Input field "__x" starts with "__", which GraphQL reserves for introspection.' },
        { rule, path: 'nodes.__half', line: 7, column: 3, message: 'Node id "__half" starts with "__", which GraphQL reserves for introspection.' },
        { rule, path: 'outputs.__half', line: 11, column: 3, message: 'Output "__half" starts with "__", which GraphQL reserves for introspection.' },
      ],
    );
  });

  it('reports node ids that CEL or Tessera reserve, saying why', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
      nodes:
        input:
          kind: expression
          expr: "1.0"
        math:
          kind: expression
          expr: "2.0"
        in:
          kind: expression
          expr: "3.0"
      outputs:
        id: input.id
    `,
      [
        { rule, path: 'nodes.input', line: 6, column: 3, message: '"input" cannot be a node id: it is reserved (it names the request input).' },
        { rule, path: 'nodes.math', line: 9, column: 3, message: '"math" cannot be a node id: it is reserved (it names the CEL math extension).' },
        { rule, path: 'nodes.in', line: 12, column: 3, message: '"in" cannot be a node id: it is reserved (a CEL keyword).' },
      ],
    );
  });

  it('reports outputs that clash with the fields every result has', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
      nodes:
        one:
          kind: expression
          expr: "1.0"
      outputs:
        requestId: input.id
        routing: one.value
    `,
      [
        { rule, path: 'outputs.requestId', line: 10, column: 3, message: 'Output "requestId" clashes with a field every result has (requestId, traceId, nodes, routing, timings); rename it.' },
        { rule, path: 'outputs.routing', line: 11, column: 3, message: 'Output "routing" clashes with a field every result has (requestId, traceId, nodes, routing, timings); rename it.' },
      ],
    );
  });

  it('reports enum values GraphQL forbids and values listed twice', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      enums:
        Answer: [YES, "true", NO, YES]
      input:
        id: { type: ID }
        answer: { type: Answer }
      nodes:
        yes:
          kind: expression
          expr: input.answer == "YES"
      outputs:
        yes: yes.value
    `,
      [
        { rule, path: 'enums.Answer.1', line: 4, column: 17, message: 'Enum value "true" is not allowed by GraphQL.' },
        { rule, path: 'enums.Answer.3', line: 4, column: 29, message: 'Enum "Answer" lists "YES" twice.' },
      ],
    );
  });

  it('reports an input field or a node output called "constructor", which CEL reserves', async () => {
    await expectProblems(
      `
      name: score
      routingKey: id
      input:
        id: { type: ID }
        constructor: { type: Float }
      nodes:
        one:
          kind: expression
          expr: "input.constructor"
      outputs:
        one: one.value
    `,
      [
        {
          rule,
          path: 'input.constructor',
          line: 5,
          column: 3,
          message: 'An input field cannot be called "constructor": expressions read records through CEL, which reserves that name; rename it.',
        },
      ],
    );
  });
});
