import ort from 'onnxruntime-node';
import type { OnnxInputBinding, OnnxNodeDef, OnnxOutputBinding, OnnxVersionDef, Value } from '../../definition/types.js';
import { createBatcher, type Batcher } from '../../execution/batcher.js';
import { ROOT_CONTEXT, SpanStatusCode, trace, TraceFlags, type Attributes, type SpanContext } from '@opentelemetry/api';
import { Attr, SpanName } from '../../telemetry/attributes.js';
import { batchedOutputs } from '../../telemetry/batch.js';
import { tracer, type Instruments } from '../../telemetry/instruments.js';
import type { ExecutorContext, NodeExecutor, NodeOutputs, RowScope, ValueReader } from '../types.js';

/** Per model input, the readers of its k values. */
type InputReaders = readonly (readonly ValueReader[])[];

/**
 * A row waiting for its batch: the request it reads its features from (read when the batch is
 * packed, straight into the tensors: no array per row), when it came, and the node span of the
 * request (when traced).
 */
interface QueuedRow {
  readonly scope: RowScope;
  readonly enqueuedAt: number;
  readonly parent: SpanContext | undefined;
}

/**
 * Runs an ONNX node. Each version has one process-wide batcher, so concurrent requests that need
 * the same model share one `session.run`.
 */
export function createOnnxExecutor(node: OnnxNodeDef, context: ExecutorContext): NodeExecutor {
  const versions = node.versions.map((version) => {
    const readers = version.inputs.map((input) => input.refs.map((ref) => context.reader(ref)));
    // Frozen: the metrics SDK then hashes this set once (src/server/attributeHashing.ts).
    const attributes = Object.freeze({ [Attr.node]: node.id, [Attr.version]: version.name });
    const batcher = createBatcher<QueuedRow, NodeOutputs>((rows) => runModel(version, readers, rows, attributes, context.instruments), {
      maxBatchSize: node.batch.maxSize,
      concurrency: node.concurrency,
      ...(node.batch.maxWaitMs !== undefined ? { maxWaitMs: node.batch.maxWaitMs } : {}),
    });
    return batcher;
  });
  return {
    readsActiveSpan: true,
    execute(version, scope) {
      const batcher = versions[version] as Batcher<QueuedRow, NodeOutputs>;
      return batcher.load({ scope, enqueuedAt: performance.now(), parent: trace.getActiveSpan()?.spanContext() });
    },
  };
}

/**
 * Packs rows into tensors, runs the session once, and unpacks one output record per row. When the
 * requests are traced, the run is a span of its own, a child of the first request's node span and
 * linked to the node span of every request it served; each row learns the batch it joined.
 */
async function runModel(version: OnnxVersionDef, readers: InputReaders, queued: readonly QueuedRow[], attributes: Attributes, instruments: Instruments): Promise<NodeOutputs[]> {
  const dispatched = performance.now();
  const rows = queued.map((q) => q.scope);
  const parents = queued.flatMap((q) => (q.parent && q.parent.traceFlags & TraceFlags.SAMPLED ? [q.parent] : []));
  const span =
    parents.length > 0
      ? tracer().startSpan(
          SpanName.modelRun(String(attributes[Attr.node]), version.name),
          { attributes: { ...attributes, [Attr.batchSize]: rows.length }, links: parents.map((parent) => ({ context: parent })) },
          trace.setSpanContext(ROOT_CONTEXT, parents[0] as SpanContext),
        )
      : undefined;
  // Packing, the run and unpacking can each fail (a value the tensor type cannot hold, the model,
  // an output of the wrong shape): the span ends either way, as an error when one did.
  try {
    const feeds: Record<string, ort.Tensor> = {};
    version.inputs.forEach((binding, index) => {
      feeds[binding.tensor] = packTensor(binding, readers[index] as readonly ValueReader[], rows);
    });
    const fetches = [...new Set(version.outputs.map((output) => output.tensor))];
    const results = await version.model.session.run(feeds, fetches);
    const computeMs = performance.now() - dispatched;
    instruments.modelRunDuration.record(computeMs, attributes);
    instruments.batchSize.record(rows.length, attributes);
    const spanContext = span?.spanContext();
    let longestWait = 0;
    const columns = version.outputs.map((binding) => unpackOutput(binding, results[binding.tensor] as ort.Tensor, rows.length));
    const outputs: NodeOutputs[] = [];
    for (let row = 0; row < rows.length; row++) {
      const queueWaitMs = dispatched - (queued[row] as QueuedRow).enqueuedAt;
      longestWait = Math.max(longestWait, queueWaitMs);
      instruments.queueWait.record(queueWaitMs, attributes);
      const record = batchedOutputs({ size: rows.length, queueWaitMs, computeMs, span: spanContext });
      for (let index = 0; index < version.outputs.length; index++) {
        record[(version.outputs[index] as OnnxOutputBinding).output] = (columns[index] as Value[])[row] as Value;
      }
      outputs.push(record);
    }
    span?.setAttributes({ [Attr.batchComputeMs]: computeMs, [Attr.batchQueueWaitMs]: longestWait });
    return outputs;
  } catch (error) {
    span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span?.end();
  }
}

/**
 * Rows → one [N,k] (or [N]) tensor of the model's element type: each row's k values read from its
 * request straight into a preallocated typed array.
 */
function packTensor(binding: OnnxInputBinding, readers: readonly ValueReader[], rows: readonly RowScope[]): ort.Tensor {
  const n = rows.length;
  const k = readers.length;
  const dims = binding.rank === 1 ? [n] : [n, k];
  const fill = <A extends { [i: number]: unknown }>(array: A, convert: (value: Value) => A[number]): A => {
    for (let row = 0; row < n; row++) {
      const scope = rows[row] as RowScope;
      for (let j = 0; j < k; j++) array[row * k + j] = convert((readers[j] as ValueReader)(scope));
    }
    return array;
  };
  switch (binding.elementType) {
    case 'float32':
      return new ort.Tensor('float32', fill(new Float32Array(n * k), (value) => toFloat32(binding, value)), dims);
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

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * A value for a float32 input. A finite number beyond float32's range would reach the model as
 * Infinity: it fails its row instead (a shared run then retries its rows one by one).
 */
function toFloat32(binding: OnnxInputBinding, value: Value): number {
  const number = toNumber(value);
  if (Math.abs(number) > FLOAT32_MAX && Number.isFinite(number)) {
    throw new Error(`input "${binding.tensor}" is float32, which cannot hold ${number} (at most ±${FLOAT32_MAX})`);
  }
  return number;
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
