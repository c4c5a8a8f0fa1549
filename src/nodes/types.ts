import type { Ref, Value } from '../definition/types.js';
import type { PromiseOrValue } from '../execution/promiseOrValue.js';
import type { Instruments } from '../telemetry/instruments.js';

/** One node's outputs for one row, by output name. */
export type NodeOutputs = Readonly<Record<string, Value>>;

/** What a node sees of the request while it computes: the input and its upstream outputs. */
export interface RowScope {
  readonly input: Readonly<Record<string, Value>>;
  /** Outputs of an upstream node that has completed (the executor awaits dependencies first). */
  outputs(nodeIndex: number): NodeOutputs;
  /** Runs a node on demand and returns its outputs (a switch runs only the branch it picks). */
  demand(nodeIndex: number): PromiseOrValue<NodeOutputs>;
}

/** Reads one referenced value from a row scope; compiled once per reference at plan time. */
export type ValueReader = (scope: RowScope) => Value;

/** How an executor resolves references when it is created. */
export interface ExecutorContext {
  reader(ref: Ref): ValueReader;
  nodeIndex(id: string): number;
  /** Metric instruments for what executors measure themselves (model runs, batches). */
  readonly instruments: Instruments;
}

/** One node kind at run time: computes one version's outputs for one row. */
export interface NodeExecutor {
  execute(version: number, scope: RowScope): PromiseOrValue<NodeOutputs>;
  /**
   * `execute` reads the active span (the ONNX batcher links its model run to the node span of every
   * row it serves): a traced run makes the node's span active around it. Other executors run
   * without, which spares a context per node.
   */
  readonly readsActiveSpan?: boolean;
}
