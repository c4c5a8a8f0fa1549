import type { SwitchNodeDef } from '../../definition/types.js';
import { isPromise } from '../../execution/promiseOrValue.js';
import type { ExecutorContext, NodeExecutor, NodeOutputs } from '../types.js';

/** Picks the first case whose condition holds (else the default) and runs only that branch. */
export function createSwitchExecutor(node: SwitchNodeDef, context: ExecutorContext): NodeExecutor {
  const upstream = node.dependencies.map((id) => [id, context.nodeIndex(id)] as const);
  const version = node.versions[0] as SwitchNodeDef['versions'][number];
  const cases = version.cases.map((c) => ({ when: c.when, then: c.then, index: context.nodeIndex(c.then) }));
  const fallback = { then: version.default, index: context.nodeIndex(version.default) };
  return {
    execute(_version, scope) {
      const variables: Record<string, unknown> = { input: scope.input };
      for (const [id, index] of upstream) variables[id] = scope.outputs(index);
      const chosen = cases.find((c) => c.when.evaluate(variables) === true) ?? fallback;
      const withBranch = (outputs: NodeOutputs): NodeOutputs => ({ ...outputs, branch: chosen.then });
      const outputs = scope.demand(chosen.index);
      return isPromise(outputs) ? outputs.then(withBranch) : withBranch(outputs);
    },
  };
}
