import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore, openSqliteStore, type StateStore } from '../../src/state/index.js';

const key = { pipeline: 'creditScore', node: 'repayment' };
const event = (kind: string, at = 1000) => ({ at, kind, actor: 'auto', reason: `${kind} for a test`, data: { step: 1 } });

const stores: [string, () => StateStore][] = [
  ['memory', () => createMemoryStore()],
  ['sqlite', () => openSqliteStore(path.join(mkdtempSync(path.join(tmpdir(), 'tessera-state-')), 'state.db'))],
];

describe.each(stores)('%s state store', (_name, open) => {
  let store: StateStore;
  afterEach(async () => {
    await store.close();
  });

  it('saves rollout state with a history, and refuses a write based on a stale revision', async () => {
    store = open();
    const first = await store.saveRollout(key, 'decl-1', { step: 0 }, undefined, event('started'));
    expect(first).toMatchObject({ ok: true, record: { revision: 1, state: { step: 0 }, declaration: 'decl-1' }, event: { seq: 1, revision: 1, kind: 'started' } });
    const second = await store.saveRollout(key, 'decl-1', { step: 1 }, 1, event('advanced', 2000));
    expect(second.ok).toBe(true);
    expect(await store.saveRollout(key, 'decl-1', { step: 5 }, 1, event('advanced'))).toEqual({ ok: false, conflict: true });
    expect(await store.saveRollout(key, 'decl-1', { step: 5 }, undefined, event('advanced'))).toEqual({ ok: false, conflict: true });
    expect(await store.loadRollouts()).toEqual([{ ...key, declaration: 'decl-1', state: { step: 1 }, revision: 2, updatedAt: 2000 }]);
    expect((await store.rolloutHistory(key)).map((e) => [e.seq, e.kind, e.revision])).toEqual([[2, 'advanced', 2], [1, 'started', 1]]);
    expect((await store.eventsSince(1)).map((e) => e.kind)).toEqual(['advanced']);
    expect(await store.latestSeq()).toBe(2);
  });

  it('records decisions once, counts assignments of scoped nodes, and attributes outcomes idempotently', async () => {
    store = open();
    const decision = (requestId: string, version: string) => ({
      requestId,
      pipeline: 'creditScore',
      at: 5000,
      nodes: [
        { node: 'repayment', version, scope: 'exp-1' },
        { node: 'score', version: 'v1', scope: undefined },
      ],
    });
    await store.appendDecisions([decision('r1', 'v1'), decision('r2', 'v2'), decision('r3', 'v2')]);
    await store.appendDecisions([decision('r1', 'v1')]); // a repeat is ignored
    expect(await store.decision('r2')).toEqual(decision('r2', 'v2'));
    const results = await store.recordOutcomes(
      [
        { requestId: 'r1', value: 1 },
        { requestId: 'r2', value: 0 },
        { requestId: 'r1', value: 1 },
        { requestId: 'nope', value: 1 },
        { requestId: 'r3', value: 1, node: 'missing' },
        { requestId: 'r3', value: 1, node: 'score' },
        { requestId: 'r3', value: 1, node: 'repayment' },
      ],
      6000,
    );
    expect(results).toEqual([
      { requestId: 'r1', status: 'accepted', attributedTo: [{ pipeline: 'creditScore', node: 'repayment', version: 'v1', scope: 'exp-1' }] },
      { requestId: 'r2', status: 'accepted', attributedTo: [{ pipeline: 'creditScore', node: 'repayment', version: 'v2', scope: 'exp-1' }] },
      { requestId: 'r1', status: 'duplicate', attributedTo: [] },
      { requestId: 'nope', status: 'unknown_request', attributedTo: [] },
      { requestId: 'r3', status: 'unknown_node', attributedTo: [] },
      { requestId: 'r3', status: 'accepted', attributedTo: [] },
      { requestId: 'r3', status: 'accepted', attributedTo: [{ pipeline: 'creditScore', node: 'repayment', version: 'v2', scope: 'exp-1' }] },
    ]);
    expect(await store.armStats(key, 'exp-1')).toEqual([
      { ...key, scope: 'exp-1', version: 'v1', assignments: 1, outcomes: { count: 1, sum: 1, sumSquares: 1 } },
      { ...key, scope: 'exp-1', version: 'v2', assignments: 2, outcomes: { count: 2, sum: 1, sumSquares: 1 } },
    ]);
    expect(await store.armStats(key, 'exp-2')).toEqual([]);
  });

  it('answers conflict, counting nothing, for an outcome whose request (and node) had a different value counted', async () => {
    store = open();
    await store.appendDecisions([
      { requestId: 'r1', pipeline: 'p', at: 5000, nodes: [{ node: 'a', version: 'v1', scope: 's' }, { node: 'b', version: 'v2', scope: 's' }] },
      { requestId: 'r2', pipeline: 'p', at: 5000, nodes: [{ node: 'plain', version: 'v1', scope: undefined }] },
    ]);
    const a = { pipeline: 'p', node: 'a', version: 'v1', scope: 's' };
    const b = { pipeline: 'p', node: 'b', version: 'v2', scope: 's' };
    expect(
      await store.recordOutcomes(
        [
          { requestId: 'r1', value: 1, node: 'a' },
          { requestId: 'r1', value: 0.5, node: 'a' },
          // The whole request: counted for b, not for a, which had 1.
          { requestId: 'r1', value: 0.5 },
          { requestId: 'r1', value: 0.5 },
          { requestId: 'r1', value: 0.5, node: 'b' },
          { requestId: 'r2', value: 3 },
          { requestId: 'r2', value: 3 },
          { requestId: 'r2', value: 4 },
        ],
        6000,
      ),
    ).toEqual([
      { requestId: 'r1', status: 'accepted', attributedTo: [a] },
      { requestId: 'r1', status: 'conflict', attributedTo: [], conflicts: [{ node: 'a', value: 1 }] },
      { requestId: 'r1', status: 'accepted', attributedTo: [b], conflicts: [{ node: 'a', value: 1 }] },
      { requestId: 'r1', status: 'conflict', attributedTo: [], conflicts: [{ node: 'a', value: 1 }] },
      { requestId: 'r1', status: 'duplicate', attributedTo: [] },
      { requestId: 'r2', status: 'accepted', attributedTo: [] },
      { requestId: 'r2', status: 'duplicate', attributedTo: [] },
      { requestId: 'r2', status: 'conflict', attributedTo: [], conflicts: [{ node: '', value: 3 }] },
    ]);
    // Only the first value of each node was counted.
    expect((await store.armStats({ pipeline: 'p', node: 'a' }, 's')).map((arm) => arm.outcomes)).toEqual([{ count: 1, sum: 1, sumSquares: 1 }]);
    expect((await store.armStats({ pipeline: 'p', node: 'b' }, 's')).map((arm) => arm.outcomes)).toEqual([{ count: 1, sum: 0.5, sumSquares: 0.25 }]);
  });

  it('prunes decisions past their retention', async () => {
    store = open();
    await store.appendDecisions([
      { requestId: 'old', pipeline: 'p', at: 1000, nodes: [] },
      { requestId: 'new', pipeline: 'p', at: 9000, nodes: [] },
    ]);
    expect(await store.pruneDecisions(5000)).toBe(1);
    expect(await store.decision('old')).toBeUndefined();
    expect(await store.recordOutcomes([{ requestId: 'old', value: 1 }], 9500)).toEqual([{ requestId: 'old', status: 'unknown_request', attributedTo: [] }]);
    expect(await store.decision('new')).toBeDefined();
  });

  it("forgets a pruned decision's outcomes with it: the id logged again is a new request", async () => {
    store = open();
    const decision = (at: number) => ({ requestId: 'x', pipeline: 'p', at, nodes: [{ node: 'a', version: 'v1', scope: 's' }] });
    await store.appendDecisions([decision(1000)]);
    expect(await store.recordOutcomes([{ requestId: 'x', value: 1 }], 1500)).toMatchObject([{ status: 'accepted' }]);
    expect(await store.pruneDecisions(2000)).toBe(1);
    await store.appendDecisions([decision(3000)]);
    expect(await store.recordOutcomes([{ requestId: 'x', value: 0 }], 3500)).toMatchObject([{ status: 'accepted', attributedTo: [{ node: 'a' }] }]);
  });
});

describe('memory store', () => {
  it('keeps at most maxDecisions decisions, forgetting the oldest with its outcomes; the arms keep their counts', async () => {
    const store = createMemoryStore({ maxDecisions: 3 });
    const decision = (requestId: string) => ({ requestId, pipeline: 'creditScore', at: 5000, nodes: [{ node: 'repayment', version: 'v1', scope: 'exp-1' }] });
    await store.appendDecisions([decision('r1'), decision('r2')]);
    expect(await store.recordOutcomes([{ requestId: 'r1', value: 1 }], 6000)).toMatchObject([{ status: 'accepted' }]);
    await store.appendDecisions([decision('r3'), decision('r4'), decision('r5')]);
    expect(await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5'].map(async (id) => (await store.decision(id)) !== undefined))).toEqual([false, false, true, true, true]);
    // A forgotten request's outcome is unknown, not a duplicate; a kept one's is attributed.
    const results = await store.recordOutcomes([{ requestId: 'r1', value: 1 }, { requestId: 'r2', value: 1 }, { requestId: 'r5', value: 0 }], 7000);
    expect(results.map((r) => r.status)).toEqual(['unknown_request', 'unknown_request', 'accepted']);
    expect(await store.armStats({ pipeline: 'creditScore', node: 'repayment' }, 'exp-1')).toEqual([
      { pipeline: 'creditScore', node: 'repayment', scope: 'exp-1', version: 'v1', assignments: 5, outcomes: { count: 2, sum: 1, sumSquares: 1 } },
    ]);
  });

  it('forgets in arrival order across pruning, and pruning forgets outcomes too', async () => {
    const store = createMemoryStore({ maxDecisions: 3 });
    const decision = (requestId: string, at: number) => ({ requestId, pipeline: 'creditScore', at, nodes: [{ node: 'repayment', version: 'v1', scope: 'exp-1' }] });
    await store.appendDecisions([decision('r1', 1000), decision('r2', 5000), decision('r3', 5000)]);
    expect(await store.recordOutcomes([{ requestId: 'r1', value: 1 }], 6000)).toMatchObject([{ status: 'accepted' }]);
    expect(await store.pruneDecisions(2000)).toBe(1);
    await store.appendDecisions([decision('r4', 7000), decision('r5', 7000)]);
    // r1 was pruned, so the fourth decision made the store forget r2, the oldest left.
    expect(await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5'].map(async (id) => (await store.decision(id)) !== undefined))).toEqual([false, false, true, true, true]);
    // Pruning dropped r1's outcome with it: the same id logged again takes an outcome again (before, the
    // outcome's key outlived its decision, a leak below the cap).
    await store.appendDecisions([decision('r1', 8000)]);
    expect(await store.recordOutcomes([{ requestId: 'r1', value: 1 }], 9000)).toMatchObject([{ status: 'accepted' }]);
  });

  it('refuses a maxDecisions that is not a whole number of 1 or more', () => {
    expect(() => createMemoryStore({ maxDecisions: 0 })).toThrow('createMemoryStore: maxDecisions must be a whole number of 1 or more; got 0.');
    expect(() => createMemoryStore({ maxDecisions: 2.5 })).toThrow('got 2.5.');
    expect(() => createMemoryStore({ maxDecisions: Number.NaN })).toThrow('got NaN.');
  });
});

describe('sqlite store shared by two connections', () => {
  it('sees the other connection’s committed writes, and rejects its stale revision', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tessera-state-')), 'state.db');
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    try {
      await a.saveRollout(key, 'd', { step: 0 }, undefined, event('started'));
      expect((await b.loadRollouts())[0]?.revision).toBe(1);
      await b.saveRollout(key, 'd', { step: 1 }, 1, event('advanced'));
      expect(await a.saveRollout(key, 'd', { step: 1 }, 1, event('advanced'))).toEqual({ ok: false, conflict: true });
      expect(await a.latestSeq()).toBe(2);
      await a.appendDecisions([{ requestId: 'x', pipeline: 'p', at: 1, nodes: [{ node: 'n', version: 'v', scope: 's' }] }]);
      expect(await b.recordOutcomes([{ requestId: 'x', value: 2 }], 2)).toEqual([{ requestId: 'x', status: 'accepted', attributedTo: [{ pipeline: 'p', node: 'n', version: 'v', scope: 's' }] }]);
      expect(await a.recordOutcomes([{ requestId: 'x', value: 2 }], 2)).toEqual([{ requestId: 'x', status: 'duplicate', attributedTo: [] }]);
      expect(await a.recordOutcomes([{ requestId: 'x', value: 3 }], 2)).toEqual([{ requestId: 'x', status: 'conflict', attributedTo: [], conflicts: [{ node: 'n', value: 2 }] }]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
