import { describe, it } from 'vitest';
import { expectProblems, expectValid } from './harness.js';

const rule = 'routing';

describe('routing rule', () => {
  it('accepts a fixed version and a split over declared versions', async () => {
    await expectValid(`
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        half:
          kind: expression
          versions:
            v1: { expr: input.x / 2.0 }
            v2: { expr: input.x * 0.5 }
          routing: { policy: fixed, version: v2 }
        third:
          kind: expression
          versions:
            v1: { expr: input.x / 3.0 }
            v2: { expr: input.x * 0.333 }
          routing: { policy: split, weights: { v1: 90, v2: 10 } }
      outputs:
        half: half.value
        third: third.value
    `);
  });

  it('reports a fixed version that is not declared, with the declared ones and a suggestion', async () => {
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
          versions:
            stable: { expr: input.x / 2.0 }
            canary: { expr: input.x * 0.5 }
          routing: { policy: fixed, version: stabel }
      outputs:
        half: half.value
    `,
      [{ rule, path: 'nodes.half.routing.version', line: 12, column: 40, message: 'Node "half" has no version "stabel". Declared versions: stable, canary. Did you mean "stable"?' }],
    );
  });

  it('reports split weights for versions that are not declared, at the weight', async () => {
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
          versions:
            v1: { expr: input.x / 2.0 }
            v2: { expr: input.x * 0.5 }
          routing:
            policy: split
            weights: { v1: 50, v3: 50 }
        third:
          kind: expression
          expr: input.x / 3.0
          routing: { policy: split, weights: { v2: 1 } }
      outputs:
        half: half.value
    `,
      [
        { rule, path: 'nodes.half.routing.weights.v3', line: 14, column: 26, message: 'Node "half" has no version "v3". Declared versions: v1, v2. Did you mean "v1" or "v2"?' },
        { rule, path: 'nodes.third.routing.weights', line: 18, column: 40, message: 'A split needs at least one declared version with a weight above 0.' },
        { rule, path: 'nodes.third.routing.weights.v2', line: 18, column: 42, message: 'Node "third" has no version "v2". Declared versions: v1. Did you mean "v1"?' },
      ],
    );
  });

  it('reports a split that sends no traffic anywhere', async () => {
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
          versions:
            v1: { expr: input.x / 2.0 }
            v2: { expr: input.x * 0.5 }
          routing: { policy: split, weights: { v1: 0, v2: 0 } }
        third:
          kind: expression
          expr: input.x / 3.0
          routing: { policy: split, weights: {} }
      outputs:
        half: half.value
        third: third.value
    `,
      [
        { rule, path: 'nodes.half.routing.weights', line: 12, column: 40, message: 'A split needs at least one declared version with a weight above 0.' },
        { rule, path: 'nodes.third.routing.weights', line: 16, column: 40, message: 'A split needs at least one declared version with a weight above 0.' },
      ],
    );
  });
});
