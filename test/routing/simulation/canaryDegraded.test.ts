import { describe, expect, it } from 'vitest';
import { share, SIMULATION_TIMEOUT_MS } from './harness.js';
import { simulate, type Scenario } from './canaryScenarios.js';

const degraded: [string, Scenario, string][] = [
  ['error rate +5 points', { candidate: 'erroring', latencyFactor: 1 }, 'errorRate'],
  ['p99 latency doubled', { candidate: 'retrained', latencyFactor: 2 }, 'latency'],
  ['output shifted by half a standard deviation', { candidate: 'shifted', latencyFactor: 1 }, 'psi'],
  ['outcome rate 3 points worse', { candidate: 'retrained', latencyFactor: 1, badOutcome: { stable: 0.05, candidate: 0.08 } }, 'outcome'],
];

describe('canary analysis, degraded candidates (seeded simulations)', { timeout: SIMULATION_TIMEOUT_MS }, () => {
  it.for(degraded)('rolls back a candidate with %s in at least 95%% of runs, before the ramp passes 25%%', async ([name, scenario, gate], { annotate }) => {
    const runs = scenario.badOutcome ? 100 : 200;
    const results = await simulate(scenario, runs, 7 + name.length);
    const early = results.filter((r) => r.status === 'rolled_back' && r.share <= 0.25);
    const byGate: Record<string, number> = {};
    for (const r of results) byGate[r.gate ?? r.status] = (byGate[r.gate ?? r.status] ?? 0) + 1;
    await annotate(`${name}: ${early.length}/${runs} rolled back by 25%; by gate ${JSON.stringify(byGate)}; median requests ${[...results.map((r) => r.requests)].sort((a, b) => a - b)[Math.floor(runs / 2)]}`);
    expect(early.length / runs).toBeGreaterThanOrEqual(0.95);
    expect(share(results, (r) => r.gate === gate)).toBeGreaterThanOrEqual(0.9);
  });
});
