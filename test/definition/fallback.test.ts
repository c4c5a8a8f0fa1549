import { describe, it } from 'vitest';
import { expectProblems, expectValid } from './harness.js';

const rule = 'fallback';
const pipeline = (fallback: string) => `
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
          fallback: ${fallback}
      outputs:
        half: half.value
    `;

describe('fallbacks', () => {
  it('accepts another version, or a value for every output', async () => {
    await expectValid(pipeline('{ version: v2 }'));
    await expectValid(pipeline('{ value: { value: 0.5 } }'));
  });

  it('reports a fallback with both or neither of version and value, an unknown version, and values that do not fit', async () => {
    await expectProblems(pipeline('{ version: v2, value: { value: 1.0 } }'), [
      { rule, path: 'nodes.half.fallback', line: 12, column: 15, message: 'A fallback gives either "version" or "value", not both and not neither.' },
    ]);
    await expectProblems(pipeline('{ version: v3 }'), [
      { rule, path: 'nodes.half.fallback.version', line: 12, column: 26, message: 'Node "half" has no version "v3". Declared versions: v1, v2. Did you mean "v1" or "v2"?' },
    ]);
    await expectProblems(pipeline('{ value: { valeu: "x" } }'), [
      { rule, path: 'nodes.half.fallback.value', line: 12, column: 24, message: 'The fallback value of node "half" needs output "value" (Float).' },
      { rule, path: 'nodes.half.fallback.value.valeu', line: 12, column: 26, message: 'Node "half" has no output "valeu". Its outputs: value. Did you mean "value"?' },
    ]);
    await expectProblems(pipeline('{ value: { value: "x" } }'), [
      { rule, path: 'nodes.half.fallback.value.value', line: 12, column: 33, message: 'The fallback for output "value" must be Float; got "x".' },
    ]);
  });
});
