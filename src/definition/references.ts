/**
 * Every place a pipeline file refers to an input field or a node, with its document path: the
 * single list that the reference, cycle and ordering logic all read.
 */
import { parseCel } from '../nodes/expression/cel.js';
import type { NodeFile } from './format.js';
import type { DocPath } from './source.js';

export type RefTarget =
  | { readonly source: 'input'; readonly field: string }
  /** `output` is undefined where a whole node is meant (a switch branch, a bare CEL variable). */
  | { readonly source: 'node'; readonly node: string; readonly output: string | undefined };

export interface FileReference {
  readonly target: RefTarget;
  readonly path: DocPath;
  /** How it is written in the file, for messages. */
  readonly text: string;
  /**
   * Found inside a CEL expression. Such a name may also be a variable bound by a macro
   * (`exists(x, ...)`), so unknown names are left to the CEL type check to report.
   */
  readonly inCel: boolean;
}

export type CelExpressionSite = { readonly path: DocPath; readonly source: string };

/** `input.age` → input field; `score.value` → node output. */
export function parseRef(text: string): RefTarget {
  const dot = text.indexOf('.');
  const head = text.slice(0, dot);
  const tail = text.slice(dot + 1);
  return head === 'input' ? { source: 'input', field: tail } : { source: 'node', node: head, output: tail };
}

/** The CEL expressions of a node, with their paths. */
export function celExpressions(id: string, node: NodeFile): CelExpressionSite[] {
  const base = ['nodes', id];
  switch (node.kind) {
    case 'expression': {
      const sites: CelExpressionSite[] = [];
      if (node.expr !== undefined) sites.push({ path: [...base, 'expr'], source: node.expr });
      for (const [name, version] of Object.entries(node.versions ?? {})) {
        sites.push({ path: [...base, 'versions', name, 'expr'], source: version.expr });
      }
      return sites;
    }
    case 'switch':
      return node.cases.map((c, index) => ({ path: [...base, 'cases', index, 'when'], source: c.when }));
    case 'onnx':
    case 'combiner':
      return [];
  }
}

/**
 * The references of one node. CEL expressions that do not parse contribute nothing here; the
 * expression rule reports them.
 */
export function nodeReferences(id: string, node: NodeFile): FileReference[] {
  const base = ['nodes', id];
  const refs: FileReference[] = [];
  const add = (text: string, path: DocPath) => refs.push({ target: parseRef(text), path, text, inCel: false });
  switch (node.kind) {
    case 'onnx': {
      const addInputs = (inputs: Readonly<Record<string, string | readonly string[]>>, path: DocPath) => {
        for (const [tensor, value] of Object.entries(inputs)) {
          if (typeof value === 'string') add(value, [...path, tensor]);
          else value.forEach((item, index) => add(item, [...path, tensor, index]));
        }
      };
      addInputs(node.inputs, [...base, 'inputs']);
      for (const [name, version] of Object.entries(node.versions)) {
        if (version.inputs) addInputs(version.inputs, [...base, 'versions', name, 'inputs']);
      }
      break;
    }
    case 'combiner':
      for (const [name, component] of Object.entries(node.components)) add(component.value, [...base, 'components', name, 'value']);
      break;
    case 'switch':
      node.cases.forEach((c, index) => refs.push(wholeNode(c.then, [...base, 'cases', index, 'then'])));
      refs.push(wholeNode(node.default, [...base, 'default']));
      break;
    case 'expression':
      break;
  }
  for (const site of celExpressions(id, node)) {
    const parsed = parseCel(site.source);
    if (!parsed.ok) continue;
    for (const reference of parsed.references) {
      const target: RefTarget =
        reference.name === 'input'
          ? { source: 'input', field: reference.field ?? '' }
          : { source: 'node', node: reference.name, output: reference.field };
      refs.push({ target, path: site.path, text: reference.field ? `${reference.name}.${reference.field}` : reference.name, inCel: true });
    }
  }
  return refs;
}

function wholeNode(node: string, path: DocPath): FileReference {
  return { target: { source: 'node', node, output: undefined }, path, text: node, inCel: false };
}

/** The nodes `id` depends on (deduplicated, in first-use order). */
export function nodeDependencies(id: string, node: NodeFile, nodeIds: ReadonlySet<string>): string[] {
  const deps = new Set<string>();
  for (const ref of nodeReferences(id, node)) {
    if (ref.target.source === 'node' && nodeIds.has(ref.target.node)) deps.add(ref.target.node);
  }
  return [...deps];
}
