import { Kind, getDirectiveValues, GraphQLIncludeDirective, GraphQLSkipDirective, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { PipelinePlan } from '../plan/plan.js';
import { NODES_FIELD } from './names.js';

/**
 * Which nodes a result selection needs: the nodes behind the selected outputs and the nodes whose
 * fields are selected under `nodes`. Only these are started; what they read runs on demand.
 * Plans are cached per selection (documents are cached by the server, so their AST nodes are
 * stable) unless @skip/@include depend on variables.
 */
export function selectedNodes(plan: PipelinePlan, info: GraphQLResolveInfo): readonly number[] {
  const first = info.fieldNodes[0] as FieldNode;
  const perPlan = cache.get(first);
  const cached = info.fieldNodes.length === 1 ? perPlan?.get(plan) : undefined;
  if (cached) return cached;
  const collector = { variableDependent: false, outputs: new Set<string>(), nodes: new Set<string>() };
  for (const fieldNode of info.fieldNodes) if (fieldNode.selectionSet) collect(fieldNode.selectionSet, info, collector, 'result');
  const indices = new Set<number>();
  for (const name of collector.outputs) {
    const output = plan.outputs.find((o) => o.name === name);
    if (output && output.node >= 0) indices.add(output.node);
  }
  for (const id of collector.nodes) {
    const index = plan.nodes.findIndex((node) => node.def.id === id);
    if (index >= 0) indices.add(index);
  }
  const result = [...indices].sort((a, b) => a - b);
  if (!collector.variableDependent && info.fieldNodes.length === 1) {
    const map = perPlan ?? new WeakMap<PipelinePlan, readonly number[]>();
    map.set(plan, result);
    cache.set(first, map);
  }
  return result;
}

const cache = new WeakMap<FieldNode, WeakMap<PipelinePlan, readonly number[]>>();

interface Collector {
  variableDependent: boolean;
  readonly outputs: Set<string>;
  readonly nodes: Set<string>;
}

function collect(selectionSet: SelectionSetNode, info: GraphQLResolveInfo, collector: Collector, level: 'result' | 'nodes'): void {
  for (const selection of selectionSet.selections) {
    if (!included(selection, info, collector)) continue;
    switch (selection.kind) {
      case Kind.FIELD: {
        const name = selection.name.value;
        if (level === 'nodes') collector.nodes.add(name);
        else if (name === NODES_FIELD && selection.selectionSet) collect(selection.selectionSet, info, collector, 'nodes');
        else collector.outputs.add(name);
        break;
      }
      case Kind.INLINE_FRAGMENT:
        collect(selection.selectionSet, info, collector, level);
        break;
      case Kind.FRAGMENT_SPREAD: {
        const fragment = info.fragments[selection.name.value];
        if (fragment) collect(fragment.selectionSet, info, collector, level);
        break;
      }
    }
  }
}

function included(selection: SelectionSetNode['selections'][number], info: GraphQLResolveInfo, collector: Collector): boolean {
  if (!selection.directives || selection.directives.length === 0) return true;
  if (selection.directives.some((d) => d.arguments?.some((a) => a.value.kind === Kind.VARIABLE))) collector.variableDependent = true;
  const skip = getDirectiveValues(GraphQLSkipDirective, selection, info.variableValues);
  if (skip?.if === true) return false;
  const include = getDirectiveValues(GraphQLIncludeDirective, selection, info.variableValues);
  return include?.if !== false;
}
