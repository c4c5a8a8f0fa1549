import type { SpanContext } from '@opentelemetry/api';
import type { Value } from '../definition/types.js';

/** What a row learned about the batched model run it joined. */
export interface BatchInfo {
  readonly size: number;
  /** From the row's arrival to the start of its run. */
  readonly queueWaitMs: number;
  readonly computeMs: number;
  /** The model-run span, when tracing recorded one. */
  readonly span: SpanContext | undefined;
}

/**
 * A row's outputs from a batched model run. The batch facts ride in a private field: the record's
 * own properties are its outputs and nothing else, and copies of it (a switch passing its branch
 * on) do not carry them.
 */
class BatchedOutputs {
  readonly #batch: BatchInfo;

  constructor(batch: BatchInfo) {
    this.#batch = batch;
  }

  static batchOf(outputs: unknown): BatchInfo | undefined {
    return typeof outputs === 'object' && outputs !== null && #batch in outputs ? (outputs as BatchedOutputs).#batch : undefined;
  }
}

/** An empty outputs record that remembers the batch it came from; the caller fills in the outputs. */
export function batchedOutputs(batch: BatchInfo): Record<string, Value> {
  return new BatchedOutputs(batch) as unknown as Record<string, Value>;
}

/** The batch facts of a node's outputs, if they came from a batched model run. */
export function batchOf(outputs: unknown): BatchInfo | undefined {
  return BatchedOutputs.batchOf(outputs);
}
