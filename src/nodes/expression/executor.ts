import type { ExpressionNodeDef, Value } from '../../definition/types.js';
import type { ExecutorContext, NodeExecutor } from '../types.js';

/** Evaluates the version's CEL program over `input` and the upstream nodes; synchronous. */
export function createExpressionExecutor(node: ExpressionNodeDef, context: ExecutorContext): NodeExecutor {
  const upstream = node.dependencies.map((id) => [id, context.nodeIndex(id)] as const);
  return {
    execute(version, scope) {
      const variables: Record<string, unknown> = { input: scope.input };
      for (const [id, index] of upstream) variables[id] = scope.outputs(index);
      return { value: (node.versions[version] as ExpressionNodeDef['versions'][number]).program.evaluate(variables) as Value };
    },
  };
}
