import { describe, expect, it } from 'vitest';
import { deploy, inputs, loadYaml, request, SimClock, SIMULATION_TIMEOUT_MS } from './harness.js';

function pipeline(arms: number, algorithm: string): string {
  return `
name: bandit
routingKey: unit
input:
  unit: { type: ID }
nodes:
  offer:
    kind: expression
    versions:
${Array.from({ length: arms }, (_, i) => `      arm${i}: { expr: "${i}.0" }`).join('\n')}
    routing: { policy: bandit, algorithm: ${algorithm}, reward: { kind: binary, better: higher }, floor: 0 }
outputs:
  value: offer.value
`;
}

/**
 * Mean regret of a bandit on Bernoulli arms, through the engine and the state store: every round
 * is a request; its reward is reported as an outcome (in batches of 10 rounds, so rewards arrive
 * a little late, as outcomes do).
 */
async function regret(means: readonly number[], algorithm: string, runs: number, rounds: number, seed: number): Promise<number> {
  const pipelines = await loadYaml(pipeline(means.length, algorithm));
  const best = Math.max(...means);
  let total = 0;
  for (let run = 0; run < runs; run++) {
    const { engine, rollouts, close } = await deploy(pipelines, { seed: seed + run, clock: new SimClock() });
    const source = inputs(seed * 7919 + run);
    let outcomes: { requestId: string; value: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      const result = request(engine, 'bandit', 'offer', { unit: `r${round}` });
      const arm = Number((result.decisions[0]?.version ?? 'arm0').slice(3));
      const mean = means[arm] as number;
      total += best - mean;
      outcomes.push({ requestId: result.requestId, value: source.uniform() < mean ? 1 : 0 });
      if (outcomes.length === 10) {
        await rollouts.reportOutcomes(outcomes);
        outcomes = [];
      }
    }
    await close();
  }
  return total / runs;
}

const TWO = [0.9, 0.8];
const TEN = [0.1, 0.05, 0.05, 0.05, 0.02, 0.02, 0.02, 0.01, 0.01, 0.01];

describe('bandits through the engine and the state store (seeded simulations, 20,000 rounds)', { timeout: SIMULATION_TIMEOUT_MS }, () => {
  it('Thompson sampling: mean regret at most 20 on arms (0.9, 0.8) over 100 runs', async ({ annotate }) => {
    const thompson = await regret(TWO, 'thompson', 100, 20_000, 1);
    const ucb1 = await regret(TWO, 'ucb1', 10, 20_000, 1);
    const greedy = await regret(TWO, 'epsilonGreedy', 10, 20_000, 1);
    await annotate(`(0.9, 0.8): Thompson ${thompson.toFixed(2)} (100 runs); beside it UCB1 ${ucb1.toFixed(2)}, epsilon-greedy ${greedy.toFixed(2)} (10 runs each)`);
    expect(thompson).toBeLessThanOrEqual(20);
    expect(thompson).toBeLessThan(ucb1);
    expect(thompson).toBeLessThan(greedy);
  });

  it('Thompson sampling: mean regret at most 120 on ten arms (0.1, 0.05×3, 0.02×3, 0.01×3) over 100 runs', async ({ annotate }) => {
    const thompson = await regret(TEN, 'thompson', 100, 20_000, 2);
    const ucb1 = await regret(TEN, 'ucb1', 10, 20_000, 2);
    const greedy = await regret(TEN, 'epsilonGreedy', 10, 20_000, 2);
    await annotate(`ten arms: Thompson ${thompson.toFixed(2)} (100 runs); beside it UCB1 ${ucb1.toFixed(2)}, epsilon-greedy ${greedy.toFixed(2)} (10 runs each)`);
    expect(thompson).toBeLessThanOrEqual(120);
    expect(thompson).toBeLessThan(ucb1);
  });
});
