import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { exampleModels, expectProblems, expectValid } from './harness.js';

const rule = 'model-file';

const thinFileSha256 = createHash('sha256').update(readFileSync(path.join(exampleModels, 'thin-file.onnx'))).digest('hex');

/** A pipeline with one ONNX node on the thin-file model's signature, whose v1 is `version` (a YAML flow map). */
const withModel = (version: string) => `
  name: demo
  routingKey: id
  input:
    id: { type: ID }
    x: { type: Float }
  nodes:
    thin:
      kind: onnx
      inputs:
        features: [input.x, input.x, input.x, input.x]
      outputs:
        p: { tensor: probabilities, column: 1 }
      versions:
        v1: ${version}
    doubled:
      kind: expression
      expr: thin.p * 2.0
  outputs:
    p: thin.p
    doubled: doubled.value
`;

describe('model files', () => {
  it('accepts a model whose sha256 matches', async () => {
    await expectValid(withModel(`{ model: models/thin-file.onnx, sha256: ${thinFileSha256} }`));
  });

  it('reports a missing file with its path, and nothing about the nodes that read the model', async () => {
    await expectProblems(withModel('{ model: models/thin-fil.onnx }'), (dir) => [
      { rule, path: 'nodes.thin.versions.v1.model', line: 14, column: 20, message: `Cannot read model file "models/thin-fil.onnx" (${path.join(dir, 'models/thin-fil.onnx')}): no such file.` },
    ]);
  });

  it('reports a folder where a model file should be', async () => {
    await expectProblems({ 'pipeline.yaml': withModel('{ model: models }') }, (dir) => [
      { rule, path: 'nodes.thin.versions.v1.model', line: 14, column: 20, message: `Cannot read model file "models" (${path.join(dir, 'models')}): it is a directory.` },
    ]);
  });

  it('reports a text file that is not an ONNX model', async () => {
    await expectProblems({ 'pipeline.yaml': withModel('{ model: model.onnx }'), 'model.onnx': 'Not a model: ask the data team.\n' }, [
      {
        rule,
        path: 'nodes.thin.versions.v1.model',
        line: 14,
        column: 20,
        message: 'Model file "model.onnx" cannot be used: it is not an ONNX model (protobuf decoding failed: invalid wire type 6 at offset 1).',
      },
    ]);
  });

  it('reports bytes that are not an ONNX model', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => (i * 151 + 7) % 256);
    await expectProblems({ 'pipeline.yaml': withModel('{ model: model.onnx }'), 'model.onnx': bytes }, [
      {
        rule,
        path: 'nodes.thin.versions.v1.model',
        line: 14,
        column: 20,
        message: 'Model file "model.onnx" cannot be used: it is not an ONNX model (protobuf decoding failed: invalid wire type 7 at offset 1).',
      },
    ]);
  });

  it('reports a Git LFS pointer where the model should be, saying how to get the model', async () => {
    const pointer = 'version https://git-lfs.github.com/spec/v1\noid sha256:3e179c2543ca584e61eb9b8137f49ed7181a97c06cdfd3850bb432a25655ee8b\nsize 1024\n';
    await expectProblems({ 'pipeline.yaml': withModel('{ model: model.onnx }'), 'model.onnx': pointer }, [
      {
        rule,
        path: 'nodes.thin.versions.v1.model',
        line: 14,
        column: 20,
        message: 'Model file "model.onnx" cannot be used: it is a Git LFS pointer, not the model (run "git lfs pull").',
      },
    ]);
  });

  it('reports an empty file, which decodes to a model without a graph', async () => {
    await expectProblems({ 'pipeline.yaml': withModel('{ model: model.onnx }'), 'model.onnx': new Uint8Array(0) }, [
      {
        rule,
        path: 'nodes.thin.versions.v1.model',
        line: 14,
        column: 20,
        message: 'Model file "model.onnx" cannot be used: it is not an ONNX model (no ir_version, graph, nodes or outputs found).',
      },
    ]);
  });

  it('reports a sha256 that differs from the file’s, at the sha256', async () => {
    const expected = 'a'.repeat(64);
    await expectProblems(withModel(`{ model: models/thin-file.onnx, sha256: ${expected} }`), [
      {
        rule,
        path: 'nodes.thin.versions.v1.sha256',
        line: 14,
        column: 51,
        message: `Model file "models/thin-file.onnx" has sha256 ${thinFileSha256}, but the pipeline expects ${expected}.`,
      },
    ]);
  });
});
