import { attribute } from './attribution.js';
import type { ArmRecord, DecisionRecord, NodeKey, RolloutEvent, RolloutRecord, StateStore } from './types.js';

type MutableArm = { assignments: number; outcomes: { count: number; sum: number; sumSquares: number } };

/** The same contract as the SQLite store, in memory: for unit tests and throwaway runs. */
export function createMemoryStore(): StateStore {
  const rollouts = new Map<string, RolloutRecord>();
  const events: RolloutEvent[] = [];
  const decisions = new Map<string, DecisionRecord>();
  const outcomes = new Set<string>();
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
        decisions.set(record.requestId, { ...record, nodes: record.nodes.map((d) => ({ node: d.node, version: d.version, scope: d.scope })) });
        for (const d of record.nodes) if (d.scope !== undefined) arm(record.pipeline, d.node, d.scope, d.version).assignments++;
      }
    },
    async decision(requestId) {
      return decisions.get(requestId);
    },
    async recordOutcomes(inputs) {
      return inputs.map((outcome) =>
        attribute(outcome, decisions.get(outcome.requestId), (target, node) => {
          const key = `${outcome.requestId}\u0000${node}`;
          if (outcomes.has(key)) return false;
          outcomes.add(key);
          if (target) {
            const stats = arm(target.pipeline, target.node, target.scope, target.version).outcomes;
            stats.count++;
            stats.sum += outcome.value;
            stats.sumSquares += outcome.value * outcome.value;
          }
          return true;
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
          decisions.delete(id);
          removed++;
        }
      }
      return removed;
    },
    async close() {},
  };
}
