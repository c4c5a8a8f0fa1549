import { describe, expect, it } from 'vitest';
import { SIMULATION_TIMEOUT_MS } from './harness.js';
import { simulate } from './canaryScenarios.js';

describe('canary analysis, healthy candidate with outcomes (seeded simulations)', { timeout: SIMULATION_TIMEOUT_MS }, () => {
  it('the outcome gate does not roll back a candidate whose outcome rate equals the stable one', async ({ annotate }) => {
    // Each run needs 1,500 candidate outcomes per step, about 40,000 requests: fewer runs than the
    // 500 of the test without outcomes. The mSPRT's own false-positive rate is shown on 2,000 A/A runs
    // in test/routing/statistics.
    const results = await simulate({ candidate: 'retrained', latencyFactor: 1, badOutcome: { stable: 0.05, candidate: 0.05 } }, 60, 3);
    const rolledBack = results.filter((r) => r.status !== 'promoted');
    await annotate(`healthy with outcomes: ${results.length - rolledBack.length}/60 promoted; rollbacks by gate: ${JSON.stringify(rolledBack.map((r) => r.gate))}`);
    expect(rolledBack.length).toBeLessThanOrEqual(1);
    for (const result of results.filter((r) => r.status === 'promoted')) expect(result.kinds).toEqual(['started', 'advanced', 'advanced', 'promoted']);
  });
});
