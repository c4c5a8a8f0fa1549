import { nodeDependencies } from '../references.js';
import type { Rule } from './context.js';

/** The nodes form a DAG; a cycle is reported once, listing its nodes in the order data flows. */
export const cyclesRule: Rule = ({ file, report }) => {
  const ids = new Set(Object.keys(file.nodes));
  const edges = new Map(Object.entries(file.nodes).map(([id, node]) => [id, nodeDependencies(id, node, ids)] as const));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of edges.get(id) ?? []) {
      if (dep === id) continue; // reported by the references rule
      if (state.get(dep) === 'visiting') {
        // The stack runs from reader to the node it reads; the message follows the data instead.
        const cycle = [...stack.slice(stack.indexOf(dep)), dep].reverse();
        report(['nodes', dep], `Nodes form a cycle, each feeding the next: ${cycle.map((n) => `"${n}"`).join(' → ')}. A pipeline must be a DAG.`, { key: true });
      } else if (!state.has(dep)) {
        visit(dep);
      }
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of ids) if (!state.has(id)) visit(id);
};

/** Node ids in a topological order (dependencies first), stable in file order. Assumes a DAG. */
export function topologicalOrder(file: { readonly nodes: Readonly<Record<string, unknown>> }, dependencies: (id: string) => readonly string[]): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (id: string): void => {
    if (placed.has(id)) return;
    placed.add(id);
    for (const dep of dependencies(id)) place(dep);
    order.push(id);
  };
  for (const id of Object.keys(file.nodes)) place(id);
  return order;
}
