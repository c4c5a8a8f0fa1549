import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertPipelines } from '../../../src/definition/load.js';
import type { PipelineDefinition } from '../../../src/definition/types.js';
import { createEngine, type Engine } from '../../../src/execution/engine.js';
import type { PipelineRun } from '../../../src/execution/run.js';
import { RolloutManager, type Clock } from '../../../src/routing/rollouts/index.js';
import { createRandom, sampleNormal, type Random } from '../../../src/routing/statistics/index.js';
import { createMemoryStore, openSqliteStore, type StateStore } from '../../../src/state/index.js';

/**
 * The simulations replay millions of requests: a minute alone on this kind of machine, longer while
 * the other test files share its two cores. Their own limit, not the suite's 60 s.
 */
export const SIMULATION_TIMEOUT_MS = 300_000;

/**
 * A virtual clock: every reading advances it by `step` ms, so that a node execution (read before
 * and after) lasts exactly `step`. The simulation sets `step` to the latency it draws for the
 * version about to run.
 */
export class SimClock implements Clock {
  t = 1_800_000_000_000;
  step = 0;
  now(): number {
    const value = this.t;
    this.t += this.step;
    return value;
  }
}

/** Loads a pipeline written as YAML into a temporary folder. */
export async function loadYaml(yaml: string): Promise<readonly PipelineDefinition[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-sim-'));
  writeFileSync(path.join(dir, 'sim.yaml'), yaml);
  return assertPipelines(dir);
}

/** One simulated deployment: a fresh store (memory or a SQLite file), rollouts and an engine. */
export async function deploy(
  pipelines: readonly PipelineDefinition[],
  options: { seed: number; clock: SimClock; sqlite?: boolean; store?: StateStore },
): Promise<{ engine: Engine; rollouts: RolloutManager; store: StateStore; close(): Promise<void> }> {
  const store = options.store ?? (options.sqlite ? openSqliteStore(path.join(mkdtempSync(path.join(tmpdir(), 'tessera-sim-')), 'state.db')) : createMemoryStore());
  const rollouts = new RolloutManager({ store, clock: options.clock, seed: options.seed, analysisIntervalMs: 0, refreshIntervalMs: 0, pruneIntervalMs: 0 });
  await rollouts.prepare(pipelines);
  const engine = createEngine(pipelines, { rollouts });
  return {
    engine,
    rollouts,
    store,
    async close() {
      await rollouts.close();
      await store.close();
    },
  };
}

/** Runs one request through the real engine on the node `node` and returns the run. */
export function request(engine: Engine, pipeline: string, node: string, input: Record<string, string | number | boolean>): PipelineRun {
  const plan = engine.plan(pipeline);
  return engine.start(plan, input, [plan.indexOf(node)]);
}

/** A seeded standard normal and uniform source for inputs. */
export function inputs(seed: number): { random: Random; normal(): number; uniform(): number } {
  const random = createRandom(seed);
  return { random, normal: () => sampleNormal(random), uniform: () => random.next() };
}

/** The share of runs where `predicate` holds, and a one-line summary for annotations. */
export function share<T>(runs: readonly T[], predicate: (run: T) => boolean): number {
  return runs.filter(predicate).length / runs.length;
}
