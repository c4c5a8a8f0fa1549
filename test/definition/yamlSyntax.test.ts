import { describe, it } from 'vitest';
import { expectProblems, expectValid } from './harness.js';

const rule = 'yaml-syntax';

describe('YAML syntax', () => {
  it('accepts a well-formed file, with anchors and aliases', async () => {
    await expectValid(`
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: &number { type: Float, min: 0 }
        y: *number
      nodes:
        sum:
          kind: expression
          expr: input.x + input.y
      outputs:
        total: sum.value
    `);
  });

  it('reports an unclosed flow map at the brace that opens it, not where the parser gives up', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID
        x: { type: Float }
      nodes:
        half:
          kind: expression
          expr: input.x / 2.0
      outputs:
        half: half.value
    `,
      [{ rule, path: '', line: 4, column: 7, message: 'YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }' }],
    );
  });

  it('reports each duplicate key at its second occurrence, naming the key', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
        x: { type: Int }
      nodes:
        half:
          kind: expression
          expr: input.x / 2.0
          expr: input.x / 3.0
      outputs:
        half: half.value
    `,
      [
        { rule, path: '', line: 6, column: 3, message: 'YAML syntax error: Duplicate key "x"; keys in a map must be unique.' },
        { rule, path: '', line: 11, column: 5, message: 'YAML syntax error: Duplicate key "expr"; keys in a map must be unique.' },
      ],
    );
  });

  it('reports an unclosed quote at the quote that opens it, not at the end of the file', async () => {
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
          expr: "input.x / 2.0
      outputs:
        half: half.value
    `,
      [{ rule, path: '', line: 9, column: 11, message: 'YAML syntax error: Missing closing "quote' }],
    );
  });

  it('reports tabs used as indentation', async () => {
    await expectProblems(
      'name: demo\nroutingKey: id\ninput:\n\tid: { type: ID }\n',
      [{ rule, path: '', line: 4, column: 1, message: 'YAML syntax error: Tabs are not allowed as indentation' }],
    );
  });

  it('reports only the first of the errors that follow from one structural mistake (the parser raises three here)', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      - id
      input:
        id: { type: ID }
    `,
      [{ rule, path: '', line: 3, column: 1, message: 'YAML syntax error: Implicit keys need to be on a single line' }],
    );
  });

  it('reports an alias whose anchor is not defined at the alias', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: *number
      nodes:
        half:
          kind: expression
          expr: input.x / 2.0
      outputs:
        half: half.value
    `,
      [{ rule, path: '', line: 5, column: 6, message: 'YAML syntax error: Unresolved alias (the anchor must be set before the alias): number' }],
    );
  });
});
