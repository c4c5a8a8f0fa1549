/**
 * Runs the example's ONNX models in onnxruntime-node, for the trainer's verification and the tests.
 *
 * The repayment models end in ZipMap, whose seq(map) output onnxruntime-node cannot return. To read
 * their probabilities anyway, {@link exposeOutputs} makes an in-memory copy of the written file with
 * the intermediate `probabilities` tensor added as a graph output; the nodes are the file's own.
 */
import ort from 'onnxruntime-node';
import type { ApplicantInput } from '../generate.js';
import { AFFORDABILITY_NUMERIC_COLUMNS, FRAUD_SIGNAL_COLUMNS, featureRow } from './contracts.js';
import type { FeatureName } from './contracts.js';
import { decodeModel, ElementType, encodeModel, tensorValueInfo } from './onnx-writer.js';

/** A copy of `bytes` whose graph also outputs the named float32 tensors of shape [N, width]. */
export function exposeOutputs(bytes: Uint8Array, names: readonly string[], width: number): Uint8Array {
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (!graph) throw new RangeError('the model has no graph');
  graph.output = [...(graph.output ?? []), ...names.map((name) => tensorValueInfo(name, ElementType.FLOAT, [null, width]))];
  return encodeModel(model);
}

/** Runs `bytes` on `feeds` in a fresh session and returns the outputs named in `fetches`. */
export async function runModel(
  bytes: Uint8Array,
  feeds: Readonly<Record<string, ort.Tensor>>,
  fetches: readonly string[],
): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run(feeds, fetches);
    const out: Record<string, ort.Tensor> = {};
    for (const name of fetches) {
      const value = result[name];
      if (!value) throw new RangeError(`the model returned no output "${name}"`);
      out[name] = value;
    }
    return out;
  } finally {
    await session.release();
  }
}

/** A float32 [N, k] tensor of the named columns of `applicants`. */
export function featureTensor(applicants: readonly ApplicantInput[], columns: readonly FeatureName[]): ort.Tensor {
  const data = new Float32Array(applicants.length * columns.length);
  applicants.forEach((a, i) => data.set(featureRow(a, columns), i * columns.length));
  return new ort.Tensor('float32', data, [applicants.length, columns.length]);
}

/** Feeds for affordability.onnx: `numeric` [N, 3] and `employment` string [N, 1]. */
export function affordabilityFeeds(applicants: readonly ApplicantInput[]): Record<string, ort.Tensor> {
  return {
    numeric: featureTensor(applicants, AFFORDABILITY_NUMERIC_COLUMNS),
    employment: new ort.Tensor(
      'string',
      applicants.map((a) => a.employment),
      [applicants.length, 1],
    ),
  };
}

/** Feeds for fraud.onnx: `signals` [N, 3] and `applications_30d` int64 [N, 1]. */
export function fraudFeeds(applicants: readonly ApplicantInput[]): Record<string, ort.Tensor> {
  return {
    signals: featureTensor(applicants, FRAUD_SIGNAL_COLUMNS),
    applications_30d: new ort.Tensor(
      'int64',
      BigInt64Array.from(applicants, (a) => BigInt(a.applications30d)),
      [applicants.length, 1],
    ),
  };
}

/** Column `j` of a float32 [N, k] tensor, as float64 values. */
export function tensorColumn(t: ort.Tensor, j: number): Float64Array {
  const [rows, cols] = t.dims;
  if (t.type !== 'float32' || rows === undefined || cols === undefined || j >= cols) {
    throw new RangeError(`expected a float32 [N, >${j}] tensor, received ${t.type} [${t.dims.join(', ')}]`);
  }
  const data = t.data as Float32Array;
  return Float64Array.from({ length: rows }, (_, i) => data[i * cols + j]!);
}

/** The values of an int64 tensor as numbers. */
export function int64Values(t: ort.Tensor): number[] {
  if (t.type !== 'int64') throw new RangeError(`expected an int64 tensor, received ${t.type}`);
  return Array.from(t.data as BigInt64Array, Number);
}
