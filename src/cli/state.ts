import { assertPipelines } from '../definition/load.js';
import type { PipelineDefinition } from '../definition/types.js';
import { createEngine, type Engine } from '../execution/engine.js';
import { RolloutManager } from '../routing/rollouts/index.js';
import { createMemoryStore, openSqliteStore, type StateStore } from '../state/index.js';

/** Opens the state store at a location (`memory` for none). */
export function openStore(location: string): StateStore {
  return location === 'memory' ? createMemoryStore() : openSqliteStore(location);
}

/** An engine over the pipelines, routing with the rollouts kept in the store. */
export async function openEngine(
  locations: readonly string[],
  state: string,
  options: { timers?: boolean } = {},
): Promise<{ engine: Engine; rollouts: RolloutManager; store: StateStore; pipelines: readonly PipelineDefinition[]; close(): Promise<void> }> {
  const pipelines = await assertPipelines(locations);
  const store = openStore(state);
  const off = options.timers === false ? { analysisIntervalMs: 0, refreshIntervalMs: 0, pruneIntervalMs: 0 } : {};
  // With nothing kept, a decision log would only fill memory.
  const rollouts = new RolloutManager({ store, ...off, logDecisions: state !== 'memory' });
  await rollouts.prepare(pipelines);
  const engine = createEngine(pipelines, { rollouts });
  return {
    engine,
    rollouts,
    store,
    pipelines,
    async close() {
      // The engine first: it waits for runs in flight, whose decisions the rollouts then flush.
      await engine.close();
      await rollouts.close();
      await store.close();
    },
  };
}
