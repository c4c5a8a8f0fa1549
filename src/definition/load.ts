import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PipelineValidationError, sortProblems, unreachable, type PipelineProblem } from '../errors/index.js';
import { PipelineFileSchema, SCALAR_TYPE_NAMES, type NodeFile, type PipelineFile } from './format.js';
import { compileCombinerNode } from './kinds/combiner.js';
import { compileSession, resolveRef, type CompileContext } from './kinds/context.js';
import { compileExpressionNode } from './kinds/expression.js';
import { compileOnnxNode, modelKey } from './kinds/onnx.js';
import { compileSwitchNode } from './kinds/switch.js';
import { ModelLoader, type ModelLoadResult } from './models.js';
import { nodeDependencies } from './references.js';
import { runRules } from './rules/context.js';
import { crossPipelineRule } from './rules/crossPipelineRule.js';
import { cyclesRule, topologicalOrder } from './rules/cyclesRule.js';
import { inputFieldsRule } from './rules/inputFieldsRule.js';
import { kindsRule } from './rules/kindsRule.js';
import { namingRule } from './rules/namingRule.js';
import { referencesRule } from './rules/referencesRule.js';
import { routingRule } from './rules/routingRule.js';
import { checkShape } from './shape.js';
import { parseSource, type PipelineSource } from './source.js';
import type { InputFieldDef, NodeDef, PipelineDefinition, ValueType } from './types.js';

/** The structural rules, in the order they run; each has its own file. */
const STRUCTURE_RULES = [
  ['naming', namingRule],
  ['input-fields', inputFieldsRule],
  ['references', referencesRule],
  ['cycles', cyclesRule],
  ['routing', routingRule],
  ['kinds', kindsRule],
] as const;

export type LoadResult =
  | { readonly ok: true; readonly pipelines: readonly PipelineDefinition[] }
  | { readonly ok: false; readonly problems: readonly PipelineProblem[] };

/**
 * Loads every `*.yaml` / `*.yml` pipeline file in the given folders (or the given files) and checks
 * everything that can be checked before the first request: YAML syntax, shape and unknown keys,
 * names, references, cycles, routing, types between nodes, and each ONNX model's signature. Returns
 * every problem at once; nothing is half-loaded (on failure, opened model sessions are released).
 */
export async function loadPipelines(locations: string | readonly string[]): Promise<LoadResult> {
  const files = await pipelineFiles(typeof locations === 'string' ? [locations] : locations);
  if (!files.ok) return files;
  const problems: PipelineProblem[] = [];
  const parsed: { file: PipelineFile; source: PipelineSource; absolute: string }[] = [];
  for (const file of files.files) {
    const text = await readFile(file, 'utf8');
    const { source, problems: syntax } = parseSource(path.relative(process.cwd(), file) || file, text);
    if (syntax.length > 0) {
      problems.push(...syntax);
      continue;
    }
    const shape = checkShape(PipelineFileSchema, source);
    if (shape.length > 0) {
      problems.push(...shape);
      continue;
    }
    const pipelineFile = source.value as PipelineFile;
    // Structural problems do not stop compilation: it skips what they break, so that one run
    // reports the ONNX signature and type problems too.
    problems.push(...runRules(STRUCTURE_RULES, pipelineFile, source));
    parsed.push({ file: pipelineFile, source, absolute: file });
  }
  problems.push(...crossPipelineRule(parsed));
  const loader = new ModelLoader();
  const pipelines: PipelineDefinition[] = [];
  for (const { file, source, absolute } of parsed) {
    const compiled = await compilePipeline(file, source, absolute, loader);
    problems.push(...compiled.problems);
    if (compiled.definition) pipelines.push(compiled.definition);
  }
  if (problems.length > 0) {
    await Promise.all([...new Set((await loader.artifacts()).map((artifact) => artifact.session))].map((session) => session.release()));
    return { ok: false, problems: sortProblems(problems) };
  }
  return { ok: true, pipelines };
}

/** Releases the model sessions of loaded pipelines (each session once). */
export async function releasePipelines(pipelines: readonly PipelineDefinition[]): Promise<void> {
  const sessions = new Set(pipelines.flatMap((p) => p.nodes.flatMap((node) => (node.kind === 'onnx' ? node.versions.map((v) => v.model.session) : []))));
  await Promise.all([...sessions].map((session) => session.release()));
}

/** Like `loadPipelines`, but throws a `PipelineValidationError` listing every problem. */
export async function assertPipelines(locations: string | readonly string[]): Promise<readonly PipelineDefinition[]> {
  const result = await loadPipelines(locations);
  if (!result.ok) throw new PipelineValidationError(result.problems);
  return result.pipelines;
}

async function pipelineFiles(locations: readonly string[]): Promise<{ ok: true; files: string[] } | { ok: false; problems: PipelineProblem[] }> {
  const files: string[] = [];
  const problems: PipelineProblem[] = [];
  for (const location of locations) {
    const absolute = path.resolve(location);
    const info = await stat(absolute).catch(() => undefined);
    const at = { file: location, line: 1, column: 1 };
    if (!info) {
      problems.push({ rule: 'files', message: `No such file or folder: ${absolute}.`, path: '', location: at });
    } else if (info.isDirectory()) {
      const entries = (await readdir(absolute)).filter((name) => /\.ya?ml$/.test(name)).sort();
      if (entries.length === 0) problems.push({ rule: 'files', message: `Folder ${absolute} has no pipeline files (*.yaml, *.yml).`, path: '', location: at });
      files.push(...entries.map((name) => path.join(absolute, name)));
    } else {
      files.push(absolute);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, files };
}

/** Loads the models, then compiles the nodes in topological order so that types flow downstream. */
async function compilePipeline(
  file: PipelineFile,
  source: PipelineSource,
  absolute: string,
  loader: ModelLoader,
): Promise<{ definition?: PipelineDefinition; problems: PipelineProblem[] }> {
  const problems: PipelineProblem[] = [];
  const dir = path.dirname(absolute);
  const models = new Map<string, ModelLoadResult>();
  await Promise.all(
    Object.values(file.nodes).flatMap((node) =>
      node.kind === 'onnx'
        ? Object.values(node.versions).map(async (version) => {
            const session = compileSession(node.session, version.session);
            models.set(modelKey(version.model, session), await loader.load(dir, version.model, session));
          })
        : [],
    ),
  );
  const input = compileInput(file);
  const outputTypes = new Map<string, ReadonlyMap<string, ValueType>>();
  const failed = new Set<string>();
  const context: CompileContext = {
    pipeline: file.name,
    // A field of an unknown type was reported by the input-fields rule; what reads it reports nothing more.
    inputTypes: new Map(input.filter((field) => knownType(field.type)).map((field) => [field.name, field.type])),
    outputTypes,
    failed,
    nodeIds: new Set(Object.keys(file.nodes)),
    models,
    report: (rule, at, message, options) => problems.push(source.problem(rule, at, message, options)),
  };
  const order = topologicalOrder(file, (id) => nodeDependencies(id, file.nodes[id] as NodeFile, context.nodeIds));
  const nodes: NodeDef[] = [];
  for (const id of order) {
    const node = compileNode(context, id, file.nodes[id] as NodeFile);
    if (!node) {
      failed.add(id);
      continue;
    }
    nodes.push(node);
    outputTypes.set(id, new Map(node.outputs.map((output) => [output.name, output.type])));
  }
  const outputs: PipelineDefinition['outputs'][number][] = [];
  for (const [name, text] of Object.entries(file.outputs)) {
    const resolved = resolveRef(context, `Output "${name}"`, text, ['outputs', name]);
    if (resolved) outputs.push({ name, ...resolved });
  }
  if (problems.length > 0 || failed.size > 0) return { problems };
  return {
    problems,
    definition: {
      name: file.name,
      description: file.description,
      file: absolute,
      routingKey: file.routingKey,
      input,
      enums: Object.entries(file.enums ?? {}).map(([name, values]) => ({ name, values })),
      nodes,
      outputs,
    },
  };
}

function compileNode(context: CompileContext, id: string, node: NodeFile): NodeDef | undefined {
  switch (node.kind) {
    case 'onnx':
      return compileOnnxNode(context, id, node);
    case 'expression':
      return compileExpressionNode(context, id, node);
    case 'combiner':
      return compileCombinerNode(context, id, node);
    case 'switch':
      return compileSwitchNode(context, id, node);
    default:
      return unreachable(node);
  }
}

function compileInput(file: PipelineFile): InputFieldDef[] {
  const enums = file.enums ?? {};
  return Object.entries(file.input).map(([name, field]) => {
    const values = enums[field.type];
    const type: ValueType = values ? { kind: 'enum', name: field.type, values } : { kind: 'scalar', name: field.type as 'Float' };
    return { name, type, description: field.description, default: field.default, min: field.min, max: field.max };
  });
}

function knownType(type: ValueType): boolean {
  return type.kind === 'enum' || (type.kind === 'scalar' && (SCALAR_TYPE_NAMES as readonly string[]).includes(type.name));
}
