import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/execution/engine.js';
import { RolloutManager } from '../../src/routing/rollouts/index.js';
import { openSqliteStore } from '../../src/state/index.js';
import { deploy, loadYaml, request, SimClock } from './simulation/harness.js';

const nodeWith = (routing: string, versions: Record<string, string> = { v1: 'input.x', v2: 'input.x * 2.0' }) => `
name: p
routingKey: unit
input:
  unit: { type: ID }
  x: { type: Float }
nodes:
  n:
    kind: expression
    versions:
${Object.entries(versions).map(([name, expr]) => `      ${name}: { expr: "${expr}" }`).join('\n')}
    routing: ${routing}
outputs:
  y: n.value
`;

const versionsOf = (engine: Parameters<typeof request>[0], count: number) =>
  Array.from({ length: count }, (_, i) => request(engine, 'p', 'n', { unit: `u${i}`, x: 1 }).decisions[0]?.version);

describe('rollout commands', () => {
  it('split: pause sends everyone to control, resume restores, setSplit starts a new scope; each is in the history', async () => {
    const { engine, rollouts, store, close } = await deploy(await loadYaml(nodeWith('{ policy: split, weights: { v1: 50, v2: 50 } }')), { seed: 1, clock: new SimClock() });
    expect(new Set(versionsOf(engine, 200))).toEqual(new Set(['v1', 'v2']));
    await rollouts.command('p', 'n', { kind: 'pause' }, { reason: 'incident' });
    expect(new Set(versionsOf(engine, 200))).toEqual(new Set(['v1']));
    await expect(rollouts.command('p', 'n', { kind: 'pause' })).rejects.toThrow('The rollout of "n" is already paused.');
    await rollouts.command('p', 'n', { kind: 'resume' });
    const view = await rollouts.command('p', 'n', { kind: 'setSplit', weights: { v1: 0, v2: 1 } });
    expect(view).toMatchObject({ status: 'running', scope: 'split-4', description: 'split(v1=0%,v2=100%)' });
    expect(new Set(versionsOf(engine, 200))).toEqual(new Set(['v2']));
    expect((await store.rolloutHistory({ pipeline: 'p', node: 'n' })).map((e) => [e.kind, e.actor, e.reason])).toEqual([
      ['split_set', 'admin', 'Split set to v1=0, v2=1; a new experiment scope begins.'],
      ['resumed', 'admin', 'Resumed.'],
      ['paused', 'admin', 'Paused. incident'],
      ['started', 'file', 'Started split from the pipeline file.'],
    ]);
    await expect(rollouts.command('p', 'n', { kind: 'setSplit', weights: { v3: 1 } })).rejects.toThrow('Node "n" has no version "v3". Versions: v1, v2.');
    await expect(rollouts.command('p', 'x', { kind: 'pause' })).rejects.toThrow('Pipeline "p" has no node "x". Did you mean "n"?');
    await close();
  });

  it('fixed: promote switches the version, rollback returns to the declared one; pause is refused', async () => {
    const { engine, rollouts, close } = await deploy(await loadYaml(nodeWith('{ policy: fixed, version: v1 }')), { seed: 1, clock: new SimClock() });
    await rollouts.command('p', 'n', { kind: 'promote', version: 'v2' });
    expect(new Set(versionsOf(engine, 50))).toEqual(new Set(['v2']));
    await rollouts.command('p', 'n', { kind: 'rollback' });
    expect(new Set(versionsOf(engine, 50))).toEqual(new Set(['v1']));
    await expect(rollouts.command('p', 'n', { kind: 'pause' })).rejects.toThrow('A fixed policy has nothing to pause.');
    await expect(rollouts.command('p', 'n', { kind: 'setSplit', weights: { v1: 1 } })).rejects.toThrow('setSplit applies to split policies; node "n" uses fixed.');
    await close();
  });

  it('bandit: every arm keeps its floor; pause exploits the best arm', async () => {
    const yaml = nodeWith('{ policy: bandit, reward: { kind: binary, better: higher }, floor: 0.1 }', { v1: '1.0', v2: '2.0', v3: '3.0' });
    const { engine, rollouts, close } = await deploy(await loadYaml(yaml), { seed: 3, clock: new SimClock() });
    const means: Record<string, number> = { v1: 0.9, v2: 0.1, v3: 0.1 };
    let reward = 0;
    for (let round = 0; round < 3000; round++) {
      const run = request(engine, 'p', 'n', { unit: `r${round}`, x: 0 });
      const version = run.decisions[0]?.version as string;
      reward = (reward * 16807) % 2147483647 || 1;
      await rollouts.reportOutcomes([{ requestId: run.requestId, value: (reward / 2147483647) < (means[version] as number) ? 1 : 0 }]);
    }
    const counts = versionsOf(engine, 2000).reduce<Record<string, number>>((acc, v) => ({ ...acc, [v as string]: (acc[v as string] ?? 0) + 1 }), {});
    // Floor 0.1 each: a uniform pick with probability 0.3, so each arm gets at least 10% (± sampling).
    expect(counts.v2).toBeGreaterThan(140);
    expect(counts.v3).toBeGreaterThan(140);
    expect(counts.v1).toBeGreaterThan(1300);
    await rollouts.command('p', 'n', { kind: 'pause' });
    expect(new Set(versionsOf(engine, 100))).toEqual(new Set(['v1']));
    await close();
  });
});

describe('shadow traffic', () => {
  it('runs the shadow after the answer, never returns it, counts its failures, and skips beyond maxConcurrent', async () => {
    const yaml = nodeWith('{ policy: shadow, primary: v1, shadow: v2, maxConcurrent: 5 }', { v1: 'input.x', v2: 'input.x < 0.0 ? double(1 / int(0.0)) : input.x + 0.001' });
    const { engine, rollouts, close } = await deploy(await loadYaml(yaml), { seed: 1, clock: new SimClock() });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.run('p', { unit: `u${i}`, x: i % 2 === 0 ? -1 : 1 })));
    // Answered, from the primary, before any shadow has run.
    expect(results.map((r) => r.outputs.y)).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? -1 : 1)));
    expect(results.every((r) => r.errors.length === 0 && r.decisions[0]?.version === 'v1')).toBe(true);
    expect((await rollouts.view('p', 'n')).shadow).toMatchObject({ mirrored: 20, compared: 0, errors: 0, skipped: 15 });
    await new Promise((resolve) => setImmediate(resolve));
    const report = (await rollouts.view('p', 'n')).shadow;
    // Of the five that ran, the even units (x = -1) failed in the shadow; the others agreed within 0.01.
    expect(report).toMatchObject({ mirrored: 20, skipped: 15, errors: 3, compared: 2, agreement: 1 });
    await close();
  });
});

describe('rollout state across processes and reloads', () => {
  it('a change saved by one process reaches another sharing the file, with its event', async () => {
    const pipelines = await loadYaml(nodeWith('{ policy: split, weights: { v1: 50, v2: 50 } }'));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tessera-rollouts-')), 'state.db');
    const [storeA, storeB] = [openSqliteStore(file), openSqliteStore(file)];
    const a = new RolloutManager({ store: storeA, analysisIntervalMs: 0, refreshIntervalMs: 0, pruneIntervalMs: 0 });
    const b = new RolloutManager({ store: storeB, analysisIntervalMs: 0, refreshIntervalMs: 0, pruneIntervalMs: 0 });
    await a.prepare(pipelines);
    await b.prepare(pipelines);
    const events: string[] = [];
    b.events.on('event', (e: { kind: string }) => events.push(e.kind));
    await a.command('p', 'n', { kind: 'pause' });
    expect(b.routing('p', 'n').policy.toString()).toBe('split(v1=50%,v2=50%)');
    await b.refresh();
    expect(b.routing('p', 'n').policy.toString()).toBe('paused(v1)');
    expect(events).toEqual(['paused']);
    // B's own command on a stale revision would conflict; it retries on the fresh state.
    await b.command('p', 'n', { kind: 'resume' });
    await a.refresh();
    expect(a.routing('p', 'n').policy.toString()).toBe('split(v1=50%,v2=50%)');
    await Promise.all([a.close(), b.close()]);
    await Promise.all([storeA.close(), storeB.close()]);
  });

  it('keeps run-time state across a reload with the same declaration, and starts over when the declaration changes', async () => {
    const store = openSqliteStore(path.join(mkdtempSync(path.join(tmpdir(), 'tessera-rollouts-')), 'state.db'));
    const rollouts = new RolloutManager({ store, analysisIntervalMs: 0, refreshIntervalMs: 0, pruneIntervalMs: 0 });
    const first = await loadYaml(nodeWith('{ policy: split, weights: { v1: 50, v2: 50 } }'));
    await rollouts.prepare(first);
    await rollouts.command('p', 'n', { kind: 'setSplit', weights: { v1: 10, v2: 90 } });
    const reloaded = await loadYaml(nodeWith('{ policy: split, weights: { v1: 50, v2: 50 } }'));
    await rollouts.prepare(reloaded);
    createEngine(reloaded, { rollouts });
    expect(rollouts.routing('p', 'n').policy.toString()).toBe('split(v1=10%,v2=90%)');
    const restarted = new RolloutManager({ store, analysisIntervalMs: 0, refreshIntervalMs: 0, pruneIntervalMs: 0 });
    await restarted.prepare(reloaded);
    expect(restarted.routing('p', 'n').policy.toString()).toBe('split(v1=10%,v2=90%)');
    const changed = await loadYaml(nodeWith('{ policy: split, weights: { v1: 70, v2: 30 } }'));
    await restarted.prepare(changed);
    expect(restarted.routing('p', 'n').policy.toString()).toBe('split(v1=70%,v2=30%)');
    expect((await store.rolloutHistory({ pipeline: 'p', node: 'n' }, 1))[0]).toMatchObject({ kind: 'reset', actor: 'file' });
    await Promise.all([rollouts.close(), restarted.close()]);
    await store.close();
  });
});
