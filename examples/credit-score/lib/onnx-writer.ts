/**
 * Helpers that build ONNX models with onnx-proto's protobufjs classes.
 *
 * The output must be byte-for-byte reproducible: nothing here records a time, a path or a random
 * id, attributes are written sorted by name (as skl2onnx does), and tensors use the typed
 * `float_data` / `int64_data` fields rather than raw bytes, which keeps them readable when decoded.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX tensor element types used by the example (TensorProto.DataType values). */
export const ElementType = { FLOAT: 1, INT64: 7, STRING: 8 } as const;
/** One of {@link ElementType}'s values. */
export type ElementType = (typeof ElementType)[keyof typeof ElementType];

/** A dimension: a fixed size, or `null` for an unnamed dynamic one (how skl2onnx writes `None`). */
export type Dim = number | null;

/** The ai.onnx.ml operator domain. */
export const ML_DOMAIN = 'ai.onnx.ml';

/** A typed attribute value; build them with {@link attr}. */
export type Attribute =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'strings'; readonly value: readonly string[] };

/** Constructors for {@link Attribute} values. */
export const attr = {
  int: (value: number): Attribute => ({ kind: 'int', value }),
  float: (value: number): Attribute => ({ kind: 'float', value }),
  string: (value: string): Attribute => ({ kind: 'string', value }),
  ints: (value: readonly number[]): Attribute => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): Attribute => ({ kind: 'floats', value }),
  strings: (value: readonly string[]): Attribute => ({ kind: 'strings', value }),
};

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function attributeProto(name: string, a: Attribute): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'string':
      return { name, type: T.STRING, s: utf8(a.value) };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.value] };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...a.value] };
    case 'strings':
      return { name, type: T.STRINGS, strings: a.value.map(utf8) };
    default: {
      const unreachable: never = a;
      throw new TypeError(`unknown attribute ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Where a node comes from and what it is called. */
export interface NodeOptions {
  /** A name unique within the graph. */
  readonly name: string;
  /** The operator domain; '' (the default) is ai.onnx. */
  readonly domain?: string;
}

/** A graph node; `attributes` are written sorted by name. */
export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Readonly<Record<string, Attribute>>,
  options: NodeOptions,
): OnnxTypes.INodeProto {
  const names = Object.keys(attributes).sort();
  return {
    opType,
    name: options.name,
    domain: options.domain ?? '',
    input: [...inputs],
    output: [...outputs],
    attribute: names.map((n) => attributeProto(n, attributes[n]!)),
  };
}

function shape(dims: readonly Dim[]): OnnxTypes.ITensorShapeProto {
  return { dim: dims.map((d) => (d === null ? {} : { dimValue: d })) };
}

/** A graph input or output of tensor type. */
export function tensorValueInfo(name: string, elementType: ElementType, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType: elementType, shape: shape(dims) } } };
}

/** The output type of ZipMap with int64 class labels: a sequence of map(int64, float). */
export function zipMapValueInfo(name: string): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      sequenceType: {
        elemType: { mapType: { keyType: ElementType.INT64, valueType: { tensorType: { elemType: ElementType.FLOAT } } } },
      },
    },
  };
}

function checkSize(name: string, dims: readonly number[], values: readonly number[]): void {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== values.length) {
    throw new RangeError(`initializer "${name}" has shape [${dims.join(', ')}] (${size} values) but ${values.length} values`);
  }
}

/** A float32 initializer. */
export function floatTensor(name: string, dims: readonly number[], values: readonly number[]): OnnxTypes.ITensorProto {
  checkSize(name, dims, values);
  return { name, dataType: ElementType.FLOAT, dims: [...dims], floatData: [...values] };
}

/** An int64 initializer (values must be safe integers). */
export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): OnnxTypes.ITensorProto {
  checkSize(name, dims, values);
  return { name, dataType: ElementType.INT64, dims: [...dims], int64Data: [...values] };
}

/** Everything that describes one model. */
export interface ModelSpec {
  readonly graphName: string;
  /** What the model predicts and how it was trained; stored as the model's doc_string. */
  readonly docString: string;
  readonly nodes: readonly OnnxTypes.INodeProto[];
  readonly inputs: readonly OnnxTypes.IValueInfoProto[];
  readonly outputs: readonly OnnxTypes.IValueInfoProto[];
  readonly initializers?: readonly OnnxTypes.ITensorProto[];
}

/** The producer name every example model carries. */
export const PRODUCER_NAME = 'tessera-example';

/** Builds the ModelProto: IR version 8, ai.onnx opset 17 and ai.onnx.ml opset 1. */
export function modelProto(spec: ModelSpec): OnnxTypes.ModelProto {
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: PRODUCER_NAME,
    docString: spec.docString,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: ML_DOMAIN, version: 1 },
    ],
    graph: {
      name: spec.graphName,
      node: [...spec.nodes],
      input: [...spec.inputs],
      output: [...spec.outputs],
      initializer: [...(spec.initializers ?? [])],
    },
  });
}

/** Serialises a model to the bytes of an .onnx file. */
export function encodeModel(model: OnnxTypes.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Parses the bytes of an .onnx file. */
export function decodeModel(bytes: Uint8Array): OnnxTypes.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
