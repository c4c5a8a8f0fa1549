import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exposeOutputs, runModel } from '../../../examples/credit-score/lib/ort-run.js';
import { readOnnxModel } from '../../../src/nodes/onnx/signature.js';
import { germanFeeds, germanRows } from '../../helpers/german.js';
import { sharedData } from '../../helpers/paths.js';

const { onnx } = onnxProto;

async function runRewritten(file: string, feeds: Record<string, ort.Tensor>) {
  const read = readOnnxModel(readFileSync(file));
  if (!read.ok) throw new Error(read.reason);
  const outputs = await runModel(read.bytes, feeds, ['output_label', 'output_probability']);
  return { read, outputs };
}

describe('ZipMap rewrite on real skl2onnx classifiers', () => {
  it('logreg_iris_zipmap.onnx: probabilities come out as a [N,3] tensor equal to the softmax of the linear model', async () => {
    const file = sharedData('models/logreg_iris_zipmap.onnx');
    const points: number[] = [];
    for (let i = 0; i < 50; i++) points.push(4 + (i % 10) * 0.4, 2 + Math.floor(i / 10) * 0.5);
    const X = new ort.Tensor('float32', Float32Array.from(points), [50, 2]);
    const { read, outputs } = await runRewritten(file, { X });
    expect(read.rewrittenZipMap).toBe(true);
    expect(read.signature.outputs).toEqual([
      { name: 'output_label', elementType: 'int64', isTensor: true, shape: [null] },
      { name: 'output_probability', elementType: 'float32', isTensor: true, shape: ['N', 3], classLabels: [0, 1, 2] },
    ]);
    const probabilities = outputs.output_probability as ort.Tensor;
    expect(probabilities.dims).toEqual([50, 3]);

    // The truth, computed independently from the model's own coefficients: LinearClassifier
    // (SOFTMAX) then Normalizer (L1, a no-op on a softmax).
    const model = onnx.ModelProto.decode(readFileSync(file));
    const linear = model.graph?.node?.find((n) => n.opType === 'LinearClassifier');
    const attribute = (name: string) => linear?.attribute?.find((a) => a.name === name);
    const coefficients = attribute('coefficients')?.floats as number[];
    const intercepts = attribute('intercepts')?.floats as number[];
    expect(attribute('post_transform')?.s && new TextDecoder().decode(attribute('post_transform')?.s as Uint8Array)).toBe('SOFTMAX');
    const labels = outputs.output_label?.data as BigInt64Array;
    for (let row = 0; row < 50; row++) {
      const x = [points[row * 2] as number, points[row * 2 + 1] as number];
      const scores = [0, 1, 2].map((c) => (intercepts[c] as number) + (coefficients[c * 2] as number) * (x[0] as number) + (coefficients[c * 2 + 1] as number) * (x[1] as number));
      const max = Math.max(...scores);
      const exp = scores.map((s) => Math.exp(s - max));
      const total = exp.reduce((a, b) => a + b, 0);
      const row3 = Array.from((probabilities.data as Float32Array).subarray(row * 3, row * 3 + 3));
      row3.forEach((p, c) => expect(p).toBeCloseTo((exp[c] as number) / total, 5));
      expect(Number(labels[row])).toBe(row3.indexOf(Math.max(...row3)));
    }
  });

  it('german_credit_gbc_pipeline_zipmap.onnx: all 1000 rows give the ZipMap input tensor exactly, and argmax is the label', async () => {
    const file = sharedData('models/german_credit_gbc_pipeline_zipmap.onnx');
    const feeds = germanFeeds(germanRows().map((r) => r.input));
    const { read, outputs } = await runRewritten(file, feeds);
    expect(read.signature.outputs[1]).toEqual({ name: 'output_probability', elementType: 'float32', isTensor: true, shape: ['N', 2], classLabels: [0, 1] });
    // A direct run of the untouched file, with the ZipMap's input exposed as an extra output.
    const original = readFileSync(file);
    const direct = await runModel(exposeOutputs(original, ['probabilities'], 2), feeds, ['probabilities', 'output_label']);
    expect(Array.from(outputs.output_probability?.data as Float32Array)).toEqual(Array.from(direct.probabilities?.data as Float32Array));
    const rewrittenProbabilities = outputs.output_probability?.data as Float32Array;
    const labels = direct.output_label?.data as BigInt64Array;
    for (let row = 0; row < 1000; row++) {
      const p1 = rewrittenProbabilities[row * 2 + 1] as number;
      expect(Number(labels[row])).toBe(p1 > (rewrittenProbabilities[row * 2] as number) ? 1 : 0);
      expect((rewrittenProbabilities[row * 2] as number) + p1).toBeCloseTo(1, 5);
    }
  });

  it('leaves models without ZipMap untouched', () => {
    const bytes = readFileSync(sharedData('models/titanic_pipeline_nozipmap.onnx'));
    const read = readOnnxModel(bytes);
    expect(read.ok && read.rewrittenZipMap).toBe(false);
    expect(read.ok && read.bytes).toBe(bytes);
  });
});
