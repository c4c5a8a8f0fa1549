import { unreachable, invariant } from '../errors/index.js';
import type { InputFieldDef, NodeDef, PipelineDefinition, Ref, Value, ValueType } from '../definition/types.js';
import { createCombinerExecutor } from '../nodes/combiner/executor.js';
import { createExpressionExecutor } from '../nodes/expression/executor.js';
import { createOnnxExecutor } from '../nodes/onnx/executor.js';
import { createSwitchExecutor } from '../nodes/switch/executor.js';
import type { ExecutorContext, NodeExecutor, ValueReader } from '../nodes/types.js';
import type { Clock, NodeRouting, RolloutManager } from '../routing/rollouts/index.js';
import type { Instruments } from '../telemetry/instruments.js';

/** One node, ready to run: its executor, the indices of the nodes it reads, and its routing. */
export interface PlannedNode {
  readonly def: NodeDef;
  readonly index: number;
  readonly deps: readonly number[];
  readonly executor: NodeExecutor;
  /** The node's rollout: its current policy, and where executions are observed. */
  readonly routing: NodeRouting;
}

export interface PlannedOutput {
  readonly name: string;
  readonly type: ValueType;
  readonly ref: Ref;
  /** The node that computes it, or -1 for an input field. */
  readonly node: number;
  readonly read: ValueReader;
}

/** A pipeline compiled for execution: nodes in topological order, references compiled to readers. */
export interface PipelinePlan {
  readonly definition: PipelineDefinition;
  readonly name: string;
  readonly input: readonly InputFieldDef[];
  readonly nodes: readonly PlannedNode[];
  readonly outputs: readonly PlannedOutput[];
  /** Times node executions for the rollouts that observe them. */
  readonly clock: Clock;
  indexOf(nodeId: string): number;
}

/**
 * Builds the execution plan; all lookups by name happen here, none at request time. The rollouts
 * must have been prepared for the definition.
 */
export function planPipeline(definition: PipelineDefinition, rollouts: RolloutManager, instruments: Instruments): PipelinePlan {
  const indices = new Map(definition.nodes.map((node, index) => [node.id, index]));
  const indexOf = (id: string): number => {
    const index = indices.get(id);
    invariant(index !== undefined, `unknown node "${id}" in pipeline "${definition.name}"`);
    return index;
  };
  const reader = (ref: Ref): ValueReader => {
    if (ref.source === 'input') {
      const field = ref.field;
      return (scope) => scope.input[field] as Value;
    }
    const index = indexOf(ref.node);
    const output = ref.output;
    return (scope) => scope.outputs(index)[output] as Value;
  };
  const context: ExecutorContext = { reader, nodeIndex: indexOf, instruments };
  const nodes = definition.nodes.map((def, index): PlannedNode => ({
    def,
    index,
    deps: def.dependencies.map(indexOf),
    executor: createExecutor(def, context),
    routing: rollouts.routing(definition.name, def.id),
  }));
  const outputs = definition.outputs.map((output) => ({
    ...output,
    node: output.ref.source === 'node' ? indexOf(output.ref.node) : -1,
    read: reader(output.ref),
  }));
  return { definition, name: definition.name, input: definition.input, nodes, outputs, clock: rollouts.clock, indexOf };
}

function createExecutor(def: NodeDef, context: ExecutorContext): NodeExecutor {
  switch (def.kind) {
    case 'onnx':
      return createOnnxExecutor(def, context);
    case 'expression':
      return createExpressionExecutor(def, context);
    case 'combiner':
      return createCombinerExecutor(def, context);
    case 'switch':
      return createSwitchExecutor(def, context);
    default:
      return unreachable(def);
  }
}
