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
 * node that learns from outcomes): it counts the outcome for the attribution it is given and
 * returns undefined when the key was new, or else the value stored before, counting nothing.
 */
export function attribute(
  outcome: OutcomeInput,
  request: DecisionRecord | undefined,
  record: (attribution: Attribution | undefined, node: string) => number | undefined,
): OutcomeResult {
  const { requestId } = outcome;
  if (!request) return { requestId, status: 'unknown_request', attributedTo: [] };
  const scoped = request.nodes.flatMap((d) => (d.scope !== undefined ? [{ pipeline: request.pipeline, node: d.node, version: d.version, scope: d.scope }] : []));
  let targets: { readonly attribution: Attribution | undefined; readonly node: string }[];
  if (outcome.node !== undefined) {
    if (!request.nodes.some((d) => d.node === outcome.node)) return { requestId, status: 'unknown_node', attributedTo: [] };
    targets = [{ attribution: scoped.find((s) => s.node === outcome.node), node: outcome.node }];
  } else {
    targets = scoped.length > 0 ? scoped.map((s) => ({ attribution: s, node: s.node })) : [{ attribution: undefined, node: '' }];
  }
  const attributedTo: Attribution[] = [];
  const conflicts: { node: string; value: number }[] = [];
  let counted = false;
  for (const { attribution, node } of targets) {
    const before = record(attribution, node);
    if (before === undefined) {
      counted = true;
      if (attribution) attributedTo.push(attribution);
    } else if (before !== outcome.value) {
      conflicts.push({ node, value: before });
    }
  }
  const status = counted ? 'accepted' : conflicts.length > 0 ? 'conflict' : 'duplicate';
  return { requestId, status, attributedTo, ...(conflicts.length > 0 ? { conflicts } : {}) };
}
