import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, writeCase, type Files } from '../definition/harness.js';

const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');

/** Runs `tessera validate ARGS` in `cwd` to completion. */
function validate(args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'validate', ...args], { cwd }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Writes the case and validates its folder from inside it, so that files print as `pipeline.yaml`. */
async function validateCase(files: Files): Promise<{ code: number; stdout: string; stderr: string }> {
  return validate(['.'], await writeCase(files));
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A valid pipeline to break one line at a time: thin-file model, an expression and a combiner. */
const valid = `
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
        v1: { model: models/thin-file.onnx }
    half:
      kind: expression
      expr: thin.p / 2.0
    score:
      kind: combiner
      method: mean
      components:
        half: { value: half.value }
  outputs:
    score: score.value
`;

/** `valid` with `from` replaced by `to` (which must occur exactly once). */
function broken(from: string, to: string): string {
  expect(valid.split(from)).toHaveLength(2);
  return valid.replace(from, to);
}

describe('tessera validate', () => {
  it('passes the bundled pipelines: exit 0, an ok line, and each model with the sha256 of its file', async () => {
    const { code, stdout, stderr } = await validate(['pipelines'], repoRoot);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`ok creditScore (${path.join(repoRoot, 'pipelines', 'credit-score.yaml')}): 10 nodes, 11 versions, 5 outputs`);
    const models = lines.slice(1).map((line) => /^ {3}(\w+)@(\w+) (\S+) sha256:([0-9a-f]{64})$/.exec(line));
    expect(models.map((match) => match && `${match[1]}@${match[2]}`)).toEqual(['repayment@v1', 'repayment@v2', 'thinFile@v1', 'affordability@v1', 'fraud@v1']);
    for (const match of models) expect(match?.[4]).toBe(sha256(path.resolve(repoRoot, 'pipelines', match?.[3] ?? '')));
  });

  const cases: readonly { kind: string; files: Files; line: string }[] = [
    {
      kind: 'a YAML syntax error',
      files: broken('    x: { type: Float }', '    x: { type: Float'),
      line: 'pipeline.yaml:5:6 YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }',
    },
    {
      kind: 'an unknown reference',
      files: broken('expr: thin.p / 2.0', 'expr: thin.p / input.y'),
      line: 'pipeline.yaml:17:11 nodes.half.expr: Node "half" reads "input.y", but the input has no field "y". Did you mean "x"?',
    },
    {
      kind: 'a cycle',
      files: broken('expr: thin.p / 2.0', 'expr: thin.p / score.value'),
      line: 'pipeline.yaml:15:3 nodes.half: Nodes form a cycle, each feeding the next: "half" → "score" → "half". A pipeline must be a DAG.',
    },
    {
      kind: 'a type mismatch',
      files: broken('expr: thin.p / 2.0', 'expr: \'thin.p > 0.5 ? "high" : "low"\''),
      line: 'pipeline.yaml:22:22 nodes.score.components.half.value: Component "half" of combiner "score" must be a number, but "half.value" is String.',
    },
    {
      kind: 'a wrong ONNX input name',
      files: broken('features: [', 'feature: ['),
      line: 'pipeline.yaml:10:7 nodes.thin.inputs.feature: The model "models/thin-file.onnx" (node "thin", version "v1") has no input "feature". Its inputs: features (float32[?,4]). Did you mean "features"?',
    },
    {
      kind: 'a missing model file',
      files: broken('models/thin-file.onnx', 'thin-file.onnx'),
      line: 'pipeline.yaml:14:20 nodes.thin.versions.v1.model: Cannot read model file "thin-file.onnx" (CASE/thin-file.onnx): no such file.',
    },
    {
      kind: 'a model file that is not ONNX',
      files: { 'pipeline.yaml': broken('models/thin-file.onnx', 'thin-file.onnx'), 'thin-file.onnx': 'Not a model: ask the data team.\n' },
      line: 'pipeline.yaml:14:20 nodes.thin.versions.v1.model: Model file "thin-file.onnx" cannot be used: it is not an ONNX model (protobuf decoding failed: invalid wire type 6 at offset 1).',
    },
    {
      kind: 'a Git LFS pointer instead of the model',
      files: {
        'pipeline.yaml': broken('models/thin-file.onnx', 'thin-file.onnx'),
        'thin-file.onnx': 'version https://git-lfs.github.com/spec/v1\noid sha256:3e179c2543ca584e61eb9b8137f49ed7181a97c06cdfd3850bb432a25655ee8b\nsize 1024\n',
      },
      line: 'pipeline.yaml:14:20 nodes.thin.versions.v1.model: Model file "thin-file.onnx" cannot be used: it is a Git LFS pointer, not the model (run "git lfs pull").',
    },
  ];

  it.each(cases)('reports $kind: exit 1, the problem as FILE:LINE:COL PATH: MESSAGE', async ({ files, line }) => {
    const dir = await writeCase(files);
    const result = await validate(['.'], dir);
    expect(result).toEqual({ code: 1, stdout: `${line.replace('CASE', dir)}\n`, stderr: '1 problem found.\n' });
  });

  it('prints every problem of a folder with several, sorted by file and line', async () => {
    const result = await validateCase({
      'a.yaml': broken('expr: thin.p / 2.0', 'expr: thin.p / score.value'),
      'b.yaml': broken('name: demo', 'name: other').replace('features: [', 'feature: [').replace("half: { value: half.value }", "half: { value: halve.value }"),
      'c.yaml': broken('    x: { type: Float }', '    x: { type: Float }\n    x: { type: Int }').replace('name: demo', 'name: third'),
    });
    expect(result).toEqual({
      code: 1,
      stdout: [
        'a.yaml:15:3 nodes.half: Nodes form a cycle, each feeding the next: "half" → "score" → "half". A pipeline must be a DAG.',
        'b.yaml:10:7 nodes.thin.inputs.feature: The model "models/thin-file.onnx" (node "thin", version "v1") has no input "feature". Its inputs: features (float32[?,4]). Did you mean "features"?',
        'b.yaml:22:22 nodes.score.components.half.value: Node "score" reads "halve.value", but no node "halve" exists. Did you mean "half"?',
        'c.yaml:6:3 YAML syntax error: Duplicate key "x"; keys in a map must be unique.',
        '',
      ].join('\n'),
      stderr: '4 problems found.\n',
    });
  });
});
