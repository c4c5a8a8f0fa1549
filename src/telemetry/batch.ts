import type { SpanContext } from '@opentelemetry/api';

/** What a row learned about the batched model run it joined. */
export interface BatchInfo {
  readonly size: number;
  /** From the row's arrival to the start of its run. */
  readonly queueWaitMs: number;
  readonly computeMs: number;
  /** The model-run span, when tracing recorded one. */
  readonly span: SpanContext | undefined;
}

const infos = new WeakMap<object, BatchInfo>();

/** Attaches batch facts to a row's outputs (a side channel: outputs stay plain records). */
export function recordBatch(outputs: object, info: BatchInfo): void {
  infos.set(outputs, info);
}

/** The batch facts of a node's outputs, if they came from a batched model run. */
export function batchOf(outputs: object | undefined): BatchInfo | undefined {
  return outputs ? infos.get(outputs) : undefined;
}
