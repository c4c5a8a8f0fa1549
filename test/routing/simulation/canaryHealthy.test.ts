import { describe, expect, it } from 'vitest';
import { SIMULATION_TIMEOUT_MS } from './harness.js';
import { simulate } from './canaryScenarios.js';

describe('canary analysis, healthy candidate (seeded simulations)', { timeout: SIMULATION_TIMEOUT_MS }, () => {
  it('promotes a healthy candidate through every step; false rollbacks at most 1% over 500 runs', async ({ annotate }) => {
    // The first ten runs use the SQLite store, the rest the in-memory one (same contract, faster).
    const results = await simulate({ candidate: 'retrained', latencyFactor: 1 }, 500, 1, { sqlite: (run) => run < 10 });
    const rolledBack = results.filter((r) => r.status !== 'promoted');
    await annotate(`healthy: ${results.length - rolledBack.length}/500 promoted; rollbacks by gate: ${JSON.stringify(rolledBack.map((r) => r.gate))}`);
    expect(rolledBack.length).toBeLessThanOrEqual(5);
    for (const result of results.filter((r) => r.status === 'promoted')) {
      expect(result.kinds).toEqual(['started', 'advanced', 'advanced', 'promoted']);
    }
  });
});
