import { attribute } from './attribution.js';
import type { ArmRecord, DecisionRecord, NodeKey, RolloutEvent, RolloutRecord, StateStore } from './types.js';

type MutableArm = { assignments: number; outcomes: { count: number; sum: number; sumSquares: number } };
/** A decision as the store keeps it: its nodes packed into one string. */
type StoredDecision = { pipeline: string; at: number; nodes: string };

/**
 * Decisions an in-memory store keeps by default, the oldest forgotten first: some 250 bytes each
 * (about 360 with an outcome recorded for one node), so 250 to 400 MB. Without a bound, a server on
 * `--state memory` answering thousands of requests a second would grow by gigabytes an hour
 * (decisions are otherwise pruned after 30 days).
 */
export const MEMORY_STORE_MAX_DECISIONS = 1_000_000;

export interface MemoryStoreOptions {
  /** Decisions kept at most; beyond it the oldest is forgotten (its outcomes then answer `unknown_request`). */
  readonly maxDecisions?: number;
}

/** The same contract as the SQLite store, in memory: for unit tests and throwaway runs. */
export function createMemoryStore(options: MemoryStoreOptions = {}): StateStore {
  const maxDecisions = options.maxDecisions ?? MEMORY_STORE_MAX_DECISIONS;
  if (!Number.isSafeInteger(maxDecisions) || maxDecisions < 1) throw new TypeError(`createMemoryStore: maxDecisions must be a whole number of 1 or more; got ${String(maxDecisions)}.`);
  const rollouts = new Map<string, RolloutRecord>();
  const events: RolloutEvent[] = [];
  // Decisions are most of what a busy in-memory store holds: one compact string per request
  // (node, version, scope separated by control characters) instead of an object per node.
  const decisions = new Map<string, StoredDecision>();
  const pack = (record: DecisionRecord) => record.nodes.map((d) => `${d.node}\u0001${d.version}\u0001${d.scope ?? ''}`).join('\u0002');
  const unpack = (requestId: string, stored: StoredDecision): DecisionRecord => ({
    requestId,
    pipeline: stored.pipeline,
    at: stored.at,
    nodes: stored.nodes === '' ? [] : stored.nodes.split('\u0002').map((entry) => {
      const [node, version, scope] = entry.split('\u0001') as [string, string, string];
      return { node, version, scope: scope === '' ? undefined : scope };
    }),
  });
  /** Each outcome counted, by request id and node: its value. */
  const outcomes = new Map<string, number>();
  /** Drops a decision and the outcomes recorded for it (pruned or forgotten); the arms' counts stay. */
  const forget = (requestId: string, stored: StoredDecision) => {
    decisions.delete(requestId);
    outcomes.delete(`${requestId}\u0000`);
    for (const { node } of unpack(requestId, stored).nodes) outcomes.delete(`${requestId}\u0000${node}`);
  };
  /**
   * The decisions' ids, oldest first (a Map keeps insertion order), read by one iterator for the
   * store's life: each eviction goes on where the last one stopped. A fresh iterator would start at
   * the first slot and step over every entry deleted before it, until the Map is rehashed: 50 to
   * 400 µs a decision once a store of a million is full, against about 2 µs.
   */
  const oldest = decisions.keys();
  const forgetOldest = () => {
    const requestId = oldest.next().value as string;
    forget(requestId, decisions.get(requestId) as StoredDecision);
  };
  const arms = new Map<string, MutableArm>();
  const keyOf = (key: NodeKey) => `${key.pipeline}\u0000${key.node}`;
  const armKey = (pipeline: string, node: string, scope: string, version: string) => [pipeline, node, scope, version].join('\u0000');
  const arm = (pipeline: string, node: string, scope: string, version: string): MutableArm => {
    const k = armKey(pipeline, node, scope, version);
    let found = arms.get(k);
    if (!found) arms.set(k, (found = { assignments: 0, outcomes: { count: 0, sum: 0, sumSquares: 0 } }));
    return found;
  };
  return {
    kind: 'memory',
    async loadRollouts() {
      return [...rollouts.values()];
    },
    async saveRollout(key, declaration, state, expectedRevision, event) {
      const current = rollouts.get(keyOf(key));
      if (current?.revision !== expectedRevision) return { ok: false, conflict: true };
      const revision = (current?.revision ?? 0) + 1;
      const record: RolloutRecord = { ...key, declaration, state: structuredClone(state), revision, updatedAt: event.at };
      rollouts.set(keyOf(key), record);
      const stored: RolloutEvent = { ...key, ...event, data: structuredClone(event.data), seq: events.length + 1, revision };
      events.push(stored);
      return { ok: true, record, event: stored };
    },
    async rolloutHistory(key, limit = 100) {
      return events.filter((e) => e.pipeline === key.pipeline && e.node === key.node).reverse().slice(0, limit);
    },
    async eventsSince(seq) {
      return events.slice(seq);
    },
    async latestSeq() {
      return events.length;
    },
    async appendDecisions(records) {
      for (const record of records) {
        if (decisions.has(record.requestId)) continue;
        decisions.set(record.requestId, { pipeline: record.pipeline, at: record.at, nodes: pack(record) });
        for (const d of record.nodes) if (d.scope !== undefined) arm(record.pipeline, d.node, d.scope, d.version).assignments++;
        if (decisions.size > maxDecisions) forgetOldest();
      }
    },
    async decision(requestId) {
      const stored = decisions.get(requestId);
      return stored && unpack(requestId, stored);
    },
    async recordOutcomes(inputs) {
      return inputs.map((outcome) =>
        attribute(outcome, decisions.has(outcome.requestId) ? unpack(outcome.requestId, decisions.get(outcome.requestId) as StoredDecision) : undefined, (target, node) => {
          const key = `${outcome.requestId}\u0000${node}`;
          const before = outcomes.get(key);
          if (before !== undefined) return before;
          outcomes.set(key, outcome.value);
          if (target) {
            const stats = arm(target.pipeline, target.node, target.scope, target.version).outcomes;
            stats.count++;
            stats.sum += outcome.value;
            stats.sumSquares += outcome.value * outcome.value;
          }
          return undefined;
        }),
      );
    },
    async armStats(key, scope) {
      const prefix = `${key.pipeline}\u0000${key.node}\u0000${scope}\u0000`;
      return [...arms]
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]): ArmRecord => ({ ...key, scope, version: k.slice(prefix.length), assignments: v.assignments, outcomes: { ...v.outcomes } }))
        .sort((a, b) => a.version.localeCompare(b.version));
    },
    async pruneDecisions(before) {
      let removed = 0;
      for (const [id, record] of decisions) {
        if (record.at < before) {
          forget(id, record);
          removed++;
        }
      }
      return removed;
    },
    async close() {},
  };
}
