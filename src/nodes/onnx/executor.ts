import ort from 'onnxruntime-node';
import type { OnnxInputBinding, OnnxNodeDef, OnnxOutputBinding, OnnxVersionDef, Value } from '../../definition/types.js';
import { createBatcher, type Batcher } from '../../execution/batcher.js';
import type { ExecutorContext, NodeExecutor, NodeOutputs, ValueReader } from '../types.js';

/** One row's feature values: per model input, its k values. */
type Row = readonly (readonly Value[])[];

/**
 * Runs an ONNX node. Each version has one process-wide batcher, so concurrent requests that need
 * the same model share one `session.run`.
 */
export function createOnnxExecutor(node: OnnxNodeDef, context: ExecutorContext): NodeExecutor {
  const versions = node.versions.map((version) => {
    const readers = version.inputs.map((input) => input.refs.map((ref) => context.reader(ref)));
    const batcher = createBatcher<Row, NodeOutputs>((rows) => runModel(version, rows), {
      maxBatchSize: node.batch.maxSize,
      concurrency: node.concurrency,
      ...(node.batch.maxWaitMs !== undefined ? { maxWaitMs: node.batch.maxWaitMs } : {}),
    });
    return { readers, batcher };
  });
  return {
    execute(version, scope) {
      const { readers, batcher } = versions[version] as { readers: ValueReader[][]; batcher: Batcher<Row, NodeOutputs> };
      return batcher.load(readers.map((input) => input.map((read) => read(scope))));
    },
  };
}

/** Packs rows into tensors, runs the session once, and unpacks one output record per row. */
async function runModel(version: OnnxVersionDef, rows: readonly Row[]): Promise<NodeOutputs[]> {
  const feeds: Record<string, ort.Tensor> = {};
  version.inputs.forEach((binding, index) => {
    feeds[binding.tensor] = packTensor(binding, rows, index);
  });
  const fetches = [...new Set(version.outputs.map((output) => output.tensor))];
  const results = await version.model.session.run(feeds, fetches);
  const columns = version.outputs.map((binding) => unpackOutput(binding, results[binding.tensor] as ort.Tensor, rows.length));
  const outputs: NodeOutputs[] = [];
  for (let row = 0; row < rows.length; row++) {
    const record: Record<string, Value> = {};
    version.outputs.forEach((binding, index) => {
      record[binding.output] = (columns[index] as Value[])[row] as Value;
    });
    outputs.push(record);
  }
  return outputs;
}

/** Rows → one [N,k] (or [N]) tensor of the model's element type, in a preallocated typed array. */
export function packTensor(binding: OnnxInputBinding, rows: readonly Row[], inputIndex: number): ort.Tensor {
  const n = rows.length;
  const k = binding.refs.length;
  const dims = binding.rank === 1 ? [n] : [n, k];
  const fill = <A extends { [i: number]: unknown }>(array: A, convert: (value: Value) => A[number]): A => {
    for (let row = 0; row < n; row++) {
      const values = (rows[row] as Row)[inputIndex] as readonly Value[];
      for (let j = 0; j < k; j++) array[row * k + j] = convert(values[j] as Value);
    }
    return array;
  };
  switch (binding.elementType) {
    case 'float32':
      return new ort.Tensor('float32', fill(new Float32Array(n * k), toNumber), dims);
    case 'float64':
      return new ort.Tensor('float64', fill(new Float64Array(n * k), toNumber), dims);
    case 'int64':
      return new ort.Tensor('int64', fill(new BigInt64Array(n * k), (value) => BigInt(Math.trunc(toNumber(value)))), dims);
    case 'int32':
      return new ort.Tensor('int32', fill(new Int32Array(n * k), toNumber), dims);
    case 'bool':
      return new ort.Tensor('bool', fill(new Uint8Array(n * k), (value) => (value ? 1 : 0)), dims);
    case 'string':
      return new ort.Tensor('string', fill(new Array<string>(n * k), (value) => String(value)), dims);
  }
}

function toNumber(value: Value): number {
  return typeof value === 'boolean' ? (value ? 1 : 0) : (value as number);
}

/**
 * One value per row from an output tensor. Checks the shape that came back, not only the declared
 * one: exported models do declare wrong shapes.
 */
function unpackOutput(binding: OnnxOutputBinding, tensor: ort.Tensor | undefined, n: number): Value[] {
  if (!tensor) throw new Error(`the model returned no output "${binding.tensor}"`);
  const dims = tensor.dims;
  if (dims[0] !== n) throw new Error(`output "${binding.tensor}" has shape [${dims.join(',')}] for ${n} rows; expected ${n} rows`);
  const width = dims.length >= 2 ? (dims[1] as number) : 1;
  const data = tensor.data as ArrayLike<number | bigint | string | boolean>;
  const convert = (value: number | bigint | string | boolean): Value => (typeof value === 'bigint' ? Number(value) : (value as Value));
  const values = new Array<Value>(n);
  if (binding.column === undefined && width !== 1) {
    for (let row = 0; row < n; row++) {
      const list: Value[] = [];
      for (let j = 0; j < width; j++) list.push(convert(data[row * width + j] as number));
      values[row] = list;
    }
    return values;
  }
  const column = binding.column ?? 0;
  if (column >= width) throw new Error(`output "${binding.tensor}" has ${width} columns; column ${column} was asked for`);
  for (let row = 0; row < n; row++) values[row] = convert(data[row * width + column] as number);
  return values;
}
