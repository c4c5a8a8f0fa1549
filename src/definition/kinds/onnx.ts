import { didYouMean, suggestionList } from '../../errors/index.js';
import { tensorToString, type TensorInfo } from '../../nodes/onnx/signature.js';
import type { OnnxNodeFile, OnnxOutputFile } from '../format.js';
import type { DocPath } from '../source.js';
import {
  BOOLEAN,
  FLOAT,
  INT,
  STRING,
  sameType,
  typeToString,
  type OnnxElementType,
  type OnnxInputBinding,
  type OnnxNodeDef,
  type OnnxOutputBinding,
  type OnnxVersionDef,
  type OutputDef,
  type Ref,
  type SessionOptionsDef,
  type ValueType,
} from '../types.js';
import { compileExecution, compileRouting, compileSession, describeType, parseDuration, readsOf, resolveRef, type CompileContext } from './context.js';

const RULE = 'onnx-signature';

/** Models load once per file and session options. */
export function modelKey(model: string, session: SessionOptionsDef): string {
  return `${model}\u0000${JSON.stringify(session)}`;
}
const SUPPORTED: readonly OnnxElementType[] = ['float32', 'float64', 'int64', 'int32', 'string', 'bool'];

/**
 * Binds the node's inputs and outputs to each version's model signature, read from the model file:
 * tensor names, element types, ranks and declared feature counts. All versions must produce the
 * same output types, because one GraphQL type shows them.
 */
export function compileOnnxNode(context: CompileContext, id: string, node: OnnxNodeFile): OnnxNodeDef | undefined {
  const base = ['nodes', id];
  const versions: OnnxVersionDef[] = [];
  let outputs: OutputDef[] | undefined;
  let failed = false;
  for (const [name, version] of Object.entries(node.versions)) {
    const versionPath = [...base, 'versions', name];
    const session = compileSession(node.session, version.session);
    const loaded = context.models.get(modelKey(version.model, session));
    if (!loaded) continue;
    if (!loaded.ok) {
      context.report('model-file', [...versionPath, 'model'], loaded.message);
      failed = true;
      continue;
    }
    const artifact = loaded.artifact;
    if (version.sha256 !== undefined && version.sha256 !== artifact.sha256) {
      context.report('model-file', [...versionPath, 'sha256'], `Model file "${version.model}" has sha256 ${artifact.sha256}, but the pipeline expects ${version.sha256}.`);
      failed = true;
    }
    const where = `model "${version.model}" (node "${id}", version "${name}")`;
    const inputsPath = version.inputs ? [...versionPath, 'inputs'] : [...base, 'inputs'];
    const inputs = bindInputs(context, id, where, version.inputs ?? node.inputs, artifact.signature.inputs, inputsPath, [...versionPath, 'model']);
    const bound = bindOutputs(context, where, node.outputs, artifact.signature.outputs, [...base, 'outputs']);
    if (!inputs || !bound) {
      failed = true;
      continue;
    }
    if (!outputs) {
      outputs = bound.outputs;
    } else {
      for (const output of bound.outputs) {
        const first = outputs.find((o) => o.name === output.name);
        if (first && !sameType(first.type, output.type)) {
          context.report(RULE, [...versionPath, 'model'], `Version "${name}" gives output "${output.name}" type ${typeToString(output.type)}, but earlier versions give ${typeToString(first.type)}; every version must produce the same types.`);
          failed = true;
        }
      }
    }
    versions.push({ name, sha256: artifact.sha256, description: version.description, model: artifact, session, inputs, outputs: bound.bindings });
  }
  if (failed || !outputs) return undefined;
  return {
    id,
    kind: 'onnx',
    description: node.description,
    ...readsOf(versions.flatMap((version) => version.inputs.flatMap((input) => input.refs))),
    outputs,
    versions,
    routing: compileRouting(context.pipeline, id, node.routing, versions.map((v) => v.name), outputs),
    execution: compileExecution(context, id, node, outputs, versions.map((v) => v.name)),
    batch: { maxSize: node.batch?.maxSize ?? 1024, maxWaitMs: node.batch?.maxWait === undefined ? undefined : parseDuration(node.batch.maxWait) },
    concurrency: node.concurrency ?? 1,
  };
}

function bindInputs(
  context: CompileContext,
  id: string,
  where: string,
  inputs: Readonly<Record<string, string | readonly string[]>>,
  modelInputs: readonly TensorInfo[],
  path: DocPath,
  modelPath: DocPath,
): OnnxInputBinding[] | undefined {
  const bindings: OnnxInputBinding[] = [];
  let ok = true;
  const names = modelInputs.map((input) => input.name);
  const inputList = modelInputs.map((i) => `${i.name} (${tensorToString(i)})`).join(', ');
  // Model inputs suggested for a misspelt name: their "not fed" would repeat the same mistake.
  const suggested = new Set<string>();
  for (const [tensor, value] of Object.entries(inputs)) {
    const tensorPath = [...path, tensor];
    const info = modelInputs.find((input) => input.name === tensor);
    if (!info) {
      // Only inputs the node does not feed yet can be what was meant.
      const unfed = names.filter((name) => !(name in inputs));
      const suggestion = suggestionList(tensor, unfed)[0];
      if (suggestion !== undefined) suggested.add(suggestion);
      context.report(RULE, tensorPath, `The ${where} has no input "${tensor}". Its inputs: ${inputList}.${didYouMean(tensor, unfed)}`, { key: true });
      ok = false;
      continue;
    }
    const elementType = info.elementType as OnnxElementType;
    if (!info.isTensor || !SUPPORTED.includes(elementType)) {
      context.report(RULE, tensorPath, `Input "${tensor}" of the ${where} is ${tensorToString(info)}; Tessera feeds ${SUPPORTED.join(', ')} tensors.`, { key: true });
      ok = false;
      continue;
    }
    const texts = typeof value === 'string' ? [value] : value;
    const rank = info.shape?.length ?? 2;
    if (rank < 1 || rank > 2) {
      context.report(RULE, tensorPath, `Input "${tensor}" of the ${where} has rank ${rank} (${tensorToString(info)}); Tessera feeds [N] and [N,k] tensors.`, { key: true });
      ok = false;
      continue;
    }
    const width = rank === 2 ? info.shape?.[1] : 1;
    if (typeof width === 'number' && width !== texts.length) {
      context.report(RULE, tensorPath, `Input "${tensor}" of the ${where} takes ${width} feature${width === 1 ? '' : 's'} (${tensorToString(info)}), but ${texts.length} ${texts.length === 1 ? 'is' : 'are'} given.`, { key: true });
      ok = false;
      continue;
    }
    const refs: Ref[] = [];
    texts.forEach((text, index) => {
      const itemPath = typeof value === 'string' ? tensorPath : [...tensorPath, index];
      const resolved = resolveRef(context, `Node "${id}"`, text, itemPath);
      if (!resolved) {
        ok = false;
        return;
      }
      if (!feeds(elementType, resolved.type)) {
        context.report(RULE, itemPath, `Input "${tensor}" of the ${where} is ${elementType}, but "${text}" is ${describeType(resolved.type)}. ${feedHint(elementType)}`);
        ok = false;
        return;
      }
      refs.push(resolved.ref);
    });
    bindings.push({ tensor, refs, elementType, rank });
  }
  for (const info of modelInputs) {
    if (!(info.name in inputs) && !suggested.has(info.name)) {
      context.report(RULE, modelPath, `The ${where} needs input "${info.name}" (${tensorToString(info)}), but the node does not feed it.`);
      ok = false;
    }
  }
  return ok ? bindings : undefined;
}

function feeds(elementType: OnnxElementType, type: ValueType): boolean {
  if (type.kind === 'list' || type.kind === 'object') return false;
  const name = type.kind === 'enum' ? 'String' : type.name;
  switch (elementType) {
    case 'float32':
    case 'float64':
      return name === 'Float' || name === 'Int' || name === 'Boolean';
    case 'int64':
    case 'int32':
      return name === 'Int' || name === 'Boolean';
    case 'string':
      return name === 'String' || name === 'ID';
    case 'bool':
      return name === 'Boolean';
  }
}

function feedHint(elementType: OnnxElementType): string {
  switch (elementType) {
    case 'float32':
    case 'float64':
      return 'Float, Int and Boolean values can feed it.';
    case 'int64':
    case 'int32':
      return 'Int and Boolean values can feed it.';
    case 'string':
      return 'String, ID and enum values can feed it.';
    case 'bool':
      return 'Boolean values can feed it.';
  }
}

function bindOutputs(
  context: CompileContext,
  where: string,
  outputs: Readonly<Record<string, OnnxOutputFile>>,
  modelOutputs: readonly TensorInfo[],
  path: DocPath,
): { outputs: OutputDef[]; bindings: OnnxOutputBinding[] } | undefined {
  const defs: OutputDef[] = [];
  const bindings: OnnxOutputBinding[] = [];
  let ok = true;
  const names = modelOutputs.map((o) => o.name);
  for (const [output, spec] of Object.entries(outputs)) {
    const outputPath = typeof spec === 'string' ? [...path, output] : [...path, output, 'tensor'];
    const tensor = typeof spec === 'string' ? spec : spec.tensor;
    const info = modelOutputs.find((o) => o.name === tensor);
    const fail = (message: string, at: DocPath = outputPath) => {
      context.report(RULE, at, message);
      ok = false;
    };
    if (!info) {
      fail(`The ${where} has no output "${tensor}". Its outputs: ${modelOutputs.map((o) => `${o.name} (${tensorToString(o)})`).join(', ')}.${didYouMean(tensor, names)}`);
      continue;
    }
    const scalar = scalarOf(info.elementType);
    if (!info.isTensor || !scalar) {
      fail(`Output "${tensor}" of the ${where} is ${tensorToString(info)}, which Tessera cannot return; use a tensor output.`);
      continue;
    }
    const rank = info.shape?.length ?? 2;
    const width = rank === 2 ? info.shape?.[1] : 1;
    let column: number | undefined;
    let columnPath = outputPath;
    if (typeof spec !== 'string' && spec.class !== undefined) {
      columnPath = [...path, output, 'class'];
      const labels = info.classLabels;
      const index = labels ? labels.findIndex((label) => String(label) === String(spec.class)) : -1;
      if (!labels) {
        fail(`Output "${tensor}" of the ${where} has no class labels; pick a column with "column" instead of "class".`, [...path, output, 'class']);
        continue;
      }
      if (index < 0) {
        fail(`The ${where} has no class ${JSON.stringify(spec.class)} in "${tensor}". Its classes: ${labels.join(', ')}.`, [...path, output, 'class']);
        continue;
      }
      column = index;
    } else if (typeof spec !== 'string' && spec.column !== undefined) {
      column = spec.column;
      columnPath = [...path, output, 'column'];
    }
    if (column !== undefined) {
      if (rank !== 2) {
        fail(`Output "${tensor}" of the ${where} is ${tensorToString(info)}: it has no columns to pick from.`, columnPath);
        continue;
      }
      if (typeof width === 'number' && column >= width) {
        fail(`Column ${column} is out of range: output "${tensor}" of the ${where} has ${width} column${width === 1 ? '' : 's'} (${tensorToString(info)}).`, columnPath);
        continue;
      }
    }
    // An unknown width could be anything: a list is the type that cannot fail at run time.
    const vector = column === undefined && rank === 2 && width !== 1;
    const type: ValueType = vector ? { kind: 'list', of: scalar } : scalar;
    defs.push({ name: output, type, description: typeof spec === 'string' ? undefined : spec.description });
    bindings.push({ output, tensor, column: vector ? undefined : column });
  }
  return ok ? { outputs: defs, bindings } : undefined;
}

function scalarOf(elementType: string): ValueType | undefined {
  switch (elementType) {
    case 'float32':
    case 'float64':
    case 'float16':
      return FLOAT;
    case 'int64':
    case 'int32':
    case 'int16':
    case 'int8':
    case 'uint8':
    case 'uint16':
      return INT;
    case 'string':
      return STRING;
    case 'bool':
      return BOOLEAN;
    default:
      return undefined;
  }
}
