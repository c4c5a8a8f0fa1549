import type { DecisionRecord, OutcomeInput, OutcomeResult } from './types.js';

/** A scoped node decision of a request: where an outcome is counted. */
export interface Attribution {
  readonly pipeline: string;
  readonly node: string;
  readonly version: string;
  readonly scope: string;
}

/**
 * Which node versions of a request an outcome counts for, shared by every store. `record` stores
 * the outcome for one node idempotently (key: request id and node; `''` when the request has no
 * node that learns from outcomes) and returns whether it was new; it counts the outcome for the
 * attribution it is given.
 */
export function attribute(
  outcome: OutcomeInput,
  request: DecisionRecord | undefined,
  record: (attribution: Attribution | undefined, node: string) => boolean,
): OutcomeResult {
  const { requestId } = outcome;
  if (!request) return { requestId, status: 'unknown_request', attributedTo: [] };
  const scoped = request.nodes.flatMap((d) => (d.scope !== undefined ? [{ pipeline: request.pipeline, node: d.node, version: d.version, scope: d.scope }] : []));
  if (outcome.node !== undefined) {
    const decision = request.nodes.find((d) => d.node === outcome.node);
    if (!decision) return { requestId, status: 'unknown_node', attributedTo: [] };
    const target = scoped.find((s) => s.node === outcome.node);
    const inserted = record(target, outcome.node);
    return { requestId, status: inserted ? 'accepted' : 'duplicate', attributedTo: inserted && target ? [target] : [] };
  }
  if (scoped.length === 0) return { requestId, status: record(undefined, '') ? 'accepted' : 'duplicate', attributedTo: [] };
  const attributedTo = scoped.filter((target) => record(target, target.node));
  return { requestId, status: attributedTo.length > 0 ? 'accepted' : 'duplicate', attributedTo };
}
