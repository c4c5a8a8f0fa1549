import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { assertPipelines } from '../../src/definition/load.js';
import { createEngine } from '../../src/execution/engine.js';
import { unitPosition } from '../../src/routing/hash.js';
import { RolloutManager } from '../../src/routing/rollouts/index.js';
import { openSqliteStore } from '../../src/state/index.js';
import { fixture, repoRoot } from '../helpers/paths.js';

const KEYS = Array.from({ length: 100_000 }, (_, i) => `customer-${i}`);
const PIPELINE = 'sticky';
const NO_TIMERS = { analysisIntervalMs: 0, refreshIntervalMs: 0, pruneIntervalMs: 0 } as const;
const START = Date.parse('2026-01-05T09:00:00.000Z');

/** Every key's version of a node, one character per key (the version's index). */
function assignments(manager: RolloutManager, node: string): string {
  const policy = manager.routing(PIPELINE, node).policy;
  return KEYS.map((key) => policy.select(key).version).join('');
}

/** The same, computed by another process from dist/ on the same state file. */
async function assignmentsInAnotherProcess(state: string): Promise<{ experiment: string; ramp: string; revisions: number[] }> {
  const script = `
    import { assertPipelines } from './dist/definition/load.js';
    import { RolloutManager } from './dist/routing/rollouts/index.js';
    import { openSqliteStore } from './dist/state/index.js';
    const store = openSqliteStore(process.env.STICKY_STATE);
    const manager = new RolloutManager({ store, analysisIntervalMs: 0, refreshIntervalMs: 0, pruneIntervalMs: 0 });
    await manager.prepare(await assertPipelines(process.env.STICKY_PIPELINES));
    const keys = Array.from({ length: 100000 }, (_, i) => 'customer-' + i);
    const of = (node) => { const policy = manager.routing('sticky', node).policy; return keys.map((key) => policy.select(key).version).join(''); };
    const revisions = (await manager.list('sticky')).map((view) => view.revision);
    process.stdout.write(JSON.stringify({ experiment: of('experiment'), ramp: of('ramp'), revisions }));
    await manager.close();
    await store.close();`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    env: { ...process.env, STICKY_STATE: state, STICKY_PIPELINES: fixture('sticky') },
    maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout) as { experiment: string; ramp: string; revisions: number[] };
}

const count = (text: string, char: string) => text.split(char).length - 1;

/** The keys whose version differs between two assignment strings (all of them when the lengths differ). */
function moved(before: string, after: string): string[] {
  if (before.length !== after.length) return KEYS;
  return KEYS.filter((_, i) => before[i] !== after[i]);
}

describe('sticky assignment with durable rollout state', () => {
  it('keeps 100,000 keys on their versions across a restart and in a second process; the canary ramp only moves keys onto the candidate', async () => {
    const state = path.join(mkdtempSync(path.join(tmpdir(), 'tessera-sticky-')), 'state.db');
    const pipelines = await assertPipelines(fixture('sticky'));
    let now = START;
    const clock = { now: () => now };

    // First process life: re-weight the split, and advance the canary by its own analysis.
    const first = new RolloutManager({ store: openSqliteStore(state), clock, seed: 7, ...NO_TIMERS });
    await first.prepare(pipelines);
    await first.command(PIPELINE, 'experiment', { kind: 'setSplit', weights: { v1: 37, v2: 63 } });
    const at5 = assignments(first, 'ramp');

    // The canary at 5% needs 200 candidate requests and a minute: run units through the real engine.
    const engine = createEngine(pipelines, { rollouts: first });
    let candidates = 0;
    for (let i = 0; candidates < 200; i++) {
      const result = await engine.run(PIPELINE, { key: `warmup-${i}` });
      const ramp = result.decisions.find((d) => d.node === 'ramp');
      expect(ramp?.version).toBe(unitPosition('sticky.ramp', `warmup-${i}`) >= 0.95 ? 'candidate' : 'stable');
      if (ramp?.version === 'candidate') candidates++;
    }
    now = START + 59_999;
    await first.analyze();
    expect(await first.view(PIPELINE, 'ramp')).toMatchObject({ step: 0, stepShare: 0.05, revision: 1 });
    now = START + 60_000;
    await first.analyze();
    expect(await first.view(PIPELINE, 'ramp')).toMatchObject({ status: 'running', step: 1, stepShare: 0.25, revision: 2, description: 'canary(stable=75%,candidate=25%)' });
    expect((await first.history(PIPELINE, 'ramp', 1)).map((e) => [e.kind, e.actor, e.reason])).toEqual([
      ['advanced', 'auto', 'Advanced to 25%: the step at 5% passed every gate.'],
    ]);

    const experiment = assignments(first, 'experiment');
    const ramp = assignments(first, 'ramp');
    // The documented hash decides: v1 below 37%, the candidate in the top 5%, then 25%.
    expect(moved(experiment, KEYS.map((key) => (unitPosition('sticky.experiment', key) < 0.37 ? '0' : '1')).join(''))).toEqual([]);
    expect(moved(at5, KEYS.map((key) => (unitPosition('sticky.ramp', key) >= 0.95 ? '1' : '0')).join(''))).toEqual([]);
    expect(moved(ramp, KEYS.map((key) => (unitPosition('sticky.ramp', key) >= 0.75 ? '1' : '0')).join(''))).toEqual([]);
    // Monotone ramp: every key on the candidate at 5% is still on it at 25%.
    const movedOff = KEYS.filter((_, i) => at5[i] === '1' && ramp[i] !== '1');
    expect(movedOff).toEqual([]);
    // Binomial(100,000, p): within 5 standard deviations of the configured shares.
    expect(Math.abs(count(experiment, '0') - 37_000)).toBeLessThan(5 * Math.sqrt(100_000 * 0.37 * 0.63));
    expect(Math.abs(count(at5, '1') - 5_000)).toBeLessThan(5 * Math.sqrt(100_000 * 0.05 * 0.95));
    expect(Math.abs(count(ramp, '1') - 25_000)).toBeLessThan(5 * Math.sqrt(100_000 * 0.25 * 0.75));
    // The engine routes as the policy says.
    for (const [index, key] of KEYS.slice(0, 2000).entries()) {
      const { decisions } = await engine.run(PIPELINE, { key });
      expect(decisions.map((d) => [d.node, d.version])).toEqual([
        ['experiment', experiment[index] === '0' ? 'v1' : 'v2'],
        ['ramp', ramp[index] === '0' ? 'stable' : 'candidate'],
      ]);
    }
    await engine.close();
    await first.close();
    await first.store.close();

    // (a) A restart: a new manager on the same file, on a clock well past the old one.
    now = START + 3_600_000;
    const restarted = new RolloutManager({ store: openSqliteStore(state), clock, ...NO_TIMERS });
    await restarted.prepare(pipelines);
    expect((await restarted.list(PIPELINE)).map((v) => [v.node, v.revision, v.description])).toEqual([
      ['experiment', 2, 'split(v1=37%,v2=63%)'],
      ['ramp', 2, 'canary(stable=75%,candidate=25%)'],
    ]);
    expect(moved(experiment, assignments(restarted, 'experiment'))).toEqual([]);
    expect(moved(ramp, assignments(restarted, 'ramp'))).toEqual([]);

    // (b) Another process on the same file, while this one still has it open.
    const other = await assignmentsInAnotherProcess(state);
    expect(other.revisions).toEqual([2, 2]);
    expect(moved(experiment, other.experiment)).toEqual([]);
    expect(moved(ramp, other.ramp)).toEqual([]);
    await restarted.close();
    await restarted.store.close();
  });
});
