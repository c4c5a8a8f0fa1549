/**
 * Reads an ONNX model's signature (input and output names, element types, shapes, class labels)
 * from the file itself with the ONNX protobuf definitions, and rewrites ZipMap outputs that
 * onnxruntime-node cannot return into plain probability tensors.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type ModelProto = onnxProto.onnx.ModelProto;
/** Decoded messages always carry their repeated fields as arrays. */
type GraphProto = onnxProto.onnx.GraphProto;
type ValueInfo = onnxProto.onnx.IValueInfoProto;
type TypeProto = onnxProto.onnx.ITypeProto;

/** One dimension: a fixed size, a symbolic name, or unknown (`null`). */
export type Dim = number | string | null;

export interface TensorInfo {
  readonly name: string;
  /** `float32`, `int64`, `string`, ...; `seq(map)` style text for non-tensors. */
  readonly elementType: string;
  readonly isTensor: boolean;
  /** Undefined when the model declares no shape. */
  readonly shape: readonly Dim[] | undefined;
  /** For probability outputs rewritten from a ZipMap: the class label of each column. */
  readonly classLabels?: readonly (number | string)[];
}

export interface OnnxSignature {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly producer: string;
  readonly opsets: readonly string[];
}

export type ReadModelResult =
  | { readonly ok: true; readonly signature: OnnxSignature; readonly bytes: Uint8Array; readonly rewrittenZipMap: boolean }
  | { readonly ok: false; readonly reason: string };

const ELEMENT_TYPES: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};

/**
 * Decodes a model file, rewrites ZipMap outputs, and returns the signature plus the bytes to give
 * onnxruntime. A file that is not an ONNX model is an error, not an exception.
 */
export function readOnnxModel(bytes: Uint8Array): ReadModelResult {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    return { ok: false, reason: `it is not an ONNX model (protobuf decoding failed: ${(error as Error).message})` };
  }
  const graph = model.graph as GraphProto | null;
  if (!graph || graph.node.length === 0 || graph.output.length === 0 || Number(model.irVersion) <= 0) {
    return { ok: false, reason: 'it is not an ONNX model (no ir_version, graph, nodes or outputs found)' };
  }
  const zipMap = rewriteZipMaps(model);
  if (!zipMap.ok) return zipMap;
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const signature: OnnxSignature = {
    inputs: graph.input.filter((input) => !initializers.has(input.name)).map((input) => tensorInfo(input)),
    outputs: graph.output.map((output) => tensorInfo(output, zipMap.classLabels.get(output.name ?? ''))),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opsets: model.opsetImport.map((o) => `${o.domain || 'ai.onnx'}:${String(o.version)}`),
  };
  const out = zipMap.classLabels.size > 0 ? onnx.ModelProto.encode(model).finish() : bytes;
  return { ok: true, signature, bytes: out, rewrittenZipMap: zipMap.classLabels.size > 0 };
}

/**
 * skl2onnx ends classifiers in ZipMap, whose output (a sequence of maps) onnxruntime-node cannot
 * return. Replacing the ZipMap with an Identity of its input keeps the probabilities as a
 * [N, classes] float tensor under the same output name; the class labels move into the signature.
 */
function rewriteZipMaps(model: ModelProto): { ok: true; classLabels: Map<string, (number | string)[]> } | { ok: false; reason: string } {
  const graph = model.graph as GraphProto;
  const classLabels = new Map<string, (number | string)[]>();
  const outputs = new Map(graph.output.map((o) => [o.name ?? '', o] as const));
  for (const node of graph.node) {
    if (node.opType !== 'ZipMap') continue;
    const outputName = node.output?.[0] ?? '';
    const graphOutput = outputs.get(outputName);
    if (!graphOutput) return { ok: false, reason: `its ZipMap "${node.name}" feeds other nodes; only a ZipMap at a graph output can be rewritten` };
    const labels = zipMapLabels(node.attribute ?? []);
    node.opType = 'Identity';
    node.domain = '';
    node.attribute = [];
    graphOutput.type = onnx.TypeProto.create({
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'N' }, { dimValue: labels.length }] },
      },
    });
    classLabels.set(outputName, labels);
  }
  return { ok: true, classLabels };
}

function zipMapLabels(attributes: readonly onnxProto.onnx.IAttributeProto[]): (number | string)[] {
  for (const attribute of attributes) {
    if (attribute.name === 'classlabels_int64s') return (attribute.ints ?? []).map((v) => Number(v));
    if (attribute.name === 'classlabels_strings') return (attribute.strings ?? []).map((s) => new TextDecoder().decode(s));
  }
  return [];
}

function tensorInfo(value: ValueInfo, classLabels?: (number | string)[]): TensorInfo {
  const type = value.type ?? {};
  const name = value.name ?? '';
  if (!type.tensorType) return { name, elementType: describeType(type), isTensor: false, shape: undefined };
  const elementType = ELEMENT_TYPES[type.tensorType.elemType ?? 0] ?? `unsupported(${type.tensorType.elemType})`;
  const shape = type.tensorType.shape ? (type.tensorType.shape.dim ?? []).map(dimOf) : undefined;
  return classLabels ? { name, elementType, isTensor: true, shape, classLabels } : { name, elementType, isTensor: true, shape };
}

function dimOf(dim: onnxProto.onnx.TensorShapeProto.IDimension): Dim {
  if (dim.dimValue !== undefined && dim.dimValue !== null && Number(dim.dimValue) > 0) return Number(dim.dimValue);
  if (dim.dimParam) return dim.dimParam;
  return null;
}

function describeType(type: TypeProto): string {
  if (type.tensorType) return `tensor(${ELEMENT_TYPES[type.tensorType.elemType ?? 0] ?? '?'})`;
  if (type.sequenceType) return `seq(${describeType(type.sequenceType.elemType ?? {})})`;
  if (type.mapType) {
    const key = ELEMENT_TYPES[type.mapType.keyType ?? 0] ?? '?';
    return `map(${key},${describeType(type.mapType.valueType ?? {})})`;
  }
  return 'unknown';
}

/** `float32[N,2]` for messages. */
export function tensorToString(info: TensorInfo): string {
  if (!info.isTensor) return info.elementType;
  const shape = info.shape ? `[${info.shape.map((d) => (d === null ? '?' : String(d))).join(',')}]` : '';
  return `${info.elementType}${shape}`;
}
