import { describe, it } from 'vitest';
import { expectProblems, expectValid } from './harness.js';

const rule = 'cycles';

describe('cycles rule', () => {
  it('accepts a diamond: two nodes read one, a fourth reads both', async () => {
    await expectValid(`
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        total:
          kind: combiner
          method: weightedSum
          components:
            left: { value: left.value }
            right: { value: right.value }
        left:
          kind: expression
          expr: base.value + 1.0
        right:
          kind: expression
          expr: base.value - 1.0
        base:
          kind: expression
          expr: input.x * 2.0
      outputs:
        total: total.value
    `);
  });

  it('reports a cycle of three once, listing its nodes in the order data flows, and nothing that follows from it', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        a:
          kind: expression
          expr: c.value + input.x
        b:
          kind: expression
          expr: a.value * 2.0
        c:
          kind: combiner
          method: mean
          components:
            b: { value: b.value }
        after:
          kind: expression
          expr: a.value + 1.0
      outputs:
        a: a.value
        after: after.value
    `,
      [{ rule, path: 'nodes.a', line: 7, column: 3, message: 'Nodes form a cycle, each feeding the next: "a" → "b" → "c" → "a". A pipeline must be a DAG.' }],
    );
  });

  it('reports each of two separate cycles', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        ping:
          kind: expression
          expr: pong.value
        pong:
          kind: expression
          expr: ping.value
        tick:
          kind: combiner
          method: mean
          components:
            tock: { value: tock.value }
        tock:
          kind: combiner
          method: mean
          components:
            tick: { value: tick.value }
      outputs:
        ping: ping.value
    `,
      [
        { rule, path: 'nodes.ping', line: 7, column: 3, message: 'Nodes form a cycle, each feeding the next: "ping" → "pong" → "ping". A pipeline must be a DAG.' },
        { rule, path: 'nodes.tick', line: 13, column: 3, message: 'Nodes form a cycle, each feeding the next: "tick" → "tock" → "tick". A pipeline must be a DAG.' },
      ],
    );
  });

  it('follows switch branches: a branch that reads its switch closes a cycle', async () => {
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
          expr: input.x
        high:
          kind: expression
          expr: pick.value * 2.0
        pick:
          kind: switch
          cases:
            - when: input.x > 1.0
              then: high
          default: low
      outputs:
        value: pick.value
    `,
      [{ rule, path: 'nodes.high', line: 10, column: 3, message: 'Nodes form a cycle, each feeding the next: "high" → "pick" → "high". A pipeline must be a DAG.' }],
    );
  });
});
