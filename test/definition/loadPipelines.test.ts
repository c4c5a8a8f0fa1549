import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { assertPipelines, loadPipelines } from '../../src/definition/load.js';
import { PipelineValidationError } from '../../src/errors/index.js';
import { expectProblems, shownPath, writeCase } from './harness.js';

/** One file with a problem for each stage after the shape check, written out of order on purpose. */
const manyProblems = `
  name: demo
  routingKey: id
  input:
    id: { type: ID }
    x: { type: Flaot }
    y: { type: Float, min: 1, max: 0 }
  nodes:
    thin:
      kind: onnx
      inputs:
        features: [input.y, input.y, input.y]
      outputs:
        p: { tensor: probabilities, column: 1 }
      versions:
        v1: { model: models/thin-file.onnx }
    label:
      kind: expression
      type: Float
      expr: '"high"'
    score:
      kind: combiner
      method: mean
      components:
        label: { value: input.y }
        ratio: { value: ratoi.value }
    loopA:
      kind: expression
      expr: loopB.value
    loopB:
      kind: expression
      expr: loopA.value
    half:
      kind: expression
      expr: input.y / 2.0
      routing: { policy: fixed, version: v2 }
  outputs:
    p: thin.p
`;

describe('loadPipelines', () => {
  it('reports problems of every stage in one pass, sorted by line', async () => {
    await expectProblems(manyProblems, [
      { rule: 'input-fields', path: 'input.x.type', line: 5, column: 14, message: 'Unknown type "Flaot". Expected one of: Float, Int, String, Boolean, ID. Did you mean "Float"?' },
      { rule: 'input-fields', path: 'input.y.max', line: 6, column: 34, message: '"max" (0) is below "min" (1).' },
      {
        rule: 'onnx-signature',
        path: 'nodes.thin.inputs.features',
        line: 11,
        column: 7,
        message: 'Input "features" of the model "models/thin-file.onnx" (node "thin", version "v1") takes 4 features (float32[?,4]), but 3 are given.',
      },
      { rule: 'expression', path: 'nodes.label.expr', line: 19, column: 11, message: 'Expression of node "label" returns String, but the node declares type Float. Wrap it in double(...) to convert.' },
      { rule: 'references', path: 'nodes.score.components.ratio.value', line: 25, column: 23, message: 'Node "score" reads "ratoi.value", but no node "ratoi" exists.' },
      { rule: 'cycles', path: 'nodes.loopA', line: 26, column: 3, message: 'Nodes form a cycle, each feeding the next: "loopA" → "loopB" → "loopA". A pipeline must be a DAG.' },
      { rule: 'routing', path: 'nodes.half.routing.version', line: 35, column: 40, message: 'Node "half" has no version "v2". Declared versions: v1. Did you mean "v1"?' },
    ]);
  });

  it('reports the problems of every file, a YAML error in one not hiding the others', async () => {
    await expectProblems(
      {
        'a.yaml': `
          name: alpha
          routingKey: id
          input:
            id: { type: ID
        `,
        'b.yaml': `
          name: beta
          routingKey: id
          input:
            id: { type: ID }
          nodes:
            one:
              kind: expression
              expr: input.ids
          outputs:
            one: one.value
        `,
        'notes.txt': 'not a pipeline file',
      },
      [
        { rule: 'yaml-syntax', path: '', line: 4, column: 7, message: 'YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }', file: 'a.yaml' },
        { rule: 'references', path: 'nodes.one.expr', line: 8, column: 11, message: 'Node "one" reads "input.ids", but the input has no field "ids". Did you mean "id"?', file: 'b.yaml' },
      ],
    );
  });

  it('reports a path that does not exist and a folder without pipeline files', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'tessera-empty-'));
    onTestFinished(() => rm(empty, { recursive: true, force: true }));
    const missing = path.join(empty, 'missing');
    expect(await loadPipelines([missing, empty])).toEqual({
      ok: false,
      problems: [
        { rule: 'files', path: '', location: { file: missing, line: 1, column: 1 }, message: `No such file or folder: ${missing}.` },
        { rule: 'files', path: '', location: { file: empty, line: 1, column: 1 }, message: `Folder ${empty} has no pipeline files (*.yaml, *.yml).` },
      ],
    });
  });

  it('assertPipelines throws a PipelineValidationError listing every problem as FILE:LINE:COL PATH: MESSAGE', async () => {
    const dir = await writeCase(manyProblems);
    const error = await assertPipelines(dir).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(PipelineValidationError);
    const file = shownPath(dir, 'pipeline.yaml');
    expect((error as PipelineValidationError).message.split('\n').slice(0, 3)).toEqual([
      'Pipeline files have 7 problems:',
      `${file}:5:14 input.x.type: Unknown type "Flaot". Expected one of: Float, Int, String, Boolean, ID. Did you mean "Float"?`,
      `${file}:6:34 input.y.max: "max" (0) is below "min" (1).`,
    ]);
    expect((error as PipelineValidationError).problems).toHaveLength(7);
  });
});
