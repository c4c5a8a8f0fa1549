import { describe, expect, it } from 'vitest';
import {
  armProbabilities,
  banditPolicy,
  createRandom,
  describeBanditPolicy,
  sampleNormal,
  selectArm,
  type BanditPolicy,
  type BanditPolicyOptions,
  type Random,
} from '../../../src/routing/statistics/index.js';

/** A mutable arm for the simulations (assignable to the readonly `ArmStats`). */
interface Arm {
  count: number;
  sum: number;
  sumSquares: number;
}

function emptyArms(k: number): Arm[] {
  return Array.from({ length: k }, () => ({ count: 0, sum: 0, sumSquares: 0 }));
}

function record(arm: Arm, reward: number): void {
  arm.count++;
  arm.sum += reward;
  arm.sumSquares += reward * reward;
}

describe('banditPolicy', () => {
  it('fills the defaults', () => {
    expect(banditPolicy({ kind: 'thompson-bernoulli' })).toEqual({ kind: 'thompson-bernoulli', floor: 0.01, priorAlpha: 1, priorBeta: 1 });
    expect(banditPolicy({ kind: 'epsilon-greedy' })).toEqual({ kind: 'epsilon-greedy', floor: 0.01, epsilon: 0.1 });
    expect(banditPolicy({ kind: 'ucb1', floor: 0 })).toEqual({ kind: 'ucb1', floor: 0 });
    expect(banditPolicy({ kind: 'thompson-gaussian' })).toEqual({ kind: 'thompson-gaussian', floor: 0.01 });
  });

  it('names the bad field', () => {
    expect(() => banditPolicy({ kind: 'ucb1', floor: 1 })).toThrow(
      'bandit option "floor" must be in [0, 1) (a share of selections per arm), received 1.',
    );
    expect(() => banditPolicy({ kind: 'epsilon-greedy', epsilon: -0.1 })).toThrow('bandit option "epsilon" must be in [0, 1], received -0.1.');
    expect(() => banditPolicy({ kind: 'thompson-bernoulli', priorBeta: 0 })).toThrow('bandit option "priorBeta" must be a positive number, received 0.');
    expect(() => banditPolicy({ kind: 'softmax' } as unknown as BanditPolicyOptions)).toThrow(
      'bandit "kind" must be one of thompson-bernoulli, thompson-gaussian, ucb1, epsilon-greedy; received "softmax".',
    );
  });

  it('describes itself for span attributes', () => {
    expect(describeBanditPolicy(banditPolicy({ kind: 'epsilon-greedy' }))).toBe('epsilon-greedy(epsilon=0.1,floor=0.01)');
    expect(describeBanditPolicy(banditPolicy({ kind: 'thompson-bernoulli', floor: 0 }))).toBe('thompson-bernoulli(prior=beta(1,1),floor=0)');
  });
});

describe('selectArm', () => {
  const rng = createRandom(1);

  it('plays every arm once before UCB1 and epsilon-greedy use their means', () => {
    const arms = [
      { count: 3, sum: 3, sumSquares: 3 },
      { count: 0, sum: 0, sumSquares: 0 },
    ];
    expect(selectArm(banditPolicy({ kind: 'ucb1', floor: 0 }), arms, rng)).toBe(1);
    expect(selectArm(banditPolicy({ kind: 'epsilon-greedy', floor: 0, epsilon: 0 }), arms, rng)).toBe(1);
  });

  it('picks the largest UCB1 index x̄ + √(2 ln t / n)', () => {
    // t = 110: arm 0 index 0.5 + √(2 ln 110 / 100) ≈ 0.807; arm 1 index 0.3 + √(2 ln 110 / 10) ≈ 1.270.
    const arms = [
      { count: 100, sum: 50, sumSquares: 50 },
      { count: 10, sum: 3, sumSquares: 3 },
    ];
    expect(selectArm(banditPolicy({ kind: 'ucb1', floor: 0 }), arms, rng)).toBe(1);
  });

  it('plays Gaussian arms 3 times each before sampling', () => {
    const arms = [
      { count: 3, sum: 3, sumSquares: 5 },
      { count: 2, sum: 0, sumSquares: 2 },
    ];
    expect(selectArm(banditPolicy({ kind: 'thompson-gaussian', floor: 0 }), arms, rng)).toBe(1);
  });

  it('refuses Bernoulli Thompson sampling on rewards above 1, and a floor the arms cannot share', () => {
    expect(() => selectArm(banditPolicy({ kind: 'thompson-bernoulli' }), [{ count: 2, sum: 5, sumSquares: 13 }], rng)).toThrow(
      'thompson-bernoulli needs rewards in [0, 1]: arm 0 has reward sum 5 over 2 pulls. Use thompson-gaussian for other rewards.',
    );
    expect(() => selectArm(banditPolicy({ kind: 'ucb1', floor: 0.3 }), emptyArms(4), rng)).toThrow(
      'bandit floor 0.3 for 4 arms asks for 1.2 of the traffic; use a floor of at most 1/4 = 0.25.',
    );
    expect(() => selectArm(banditPolicy({ kind: 'ucb1' }), [], rng)).toThrow('selectArm needs at least one arm.');
  });
});

describe('armProbabilities', () => {
  const arms = [
    { count: 100, sum: 10, sumSquares: 10 },
    { count: 100, sum: 30, sumSquares: 30 },
    { count: 100, sum: 20, sumSquares: 20 },
  ];

  it('is exact for epsilon-greedy and UCB1, floor included: floor + (1 − k·floor)·p', () => {
    const probabilities = armProbabilities(banditPolicy({ kind: 'epsilon-greedy', epsilon: 0.1, floor: 0.05 }), arms, createRandom(1));
    const explore = 0.1 / 3;
    expect(probabilities[0]).toBeCloseTo(0.05 + 0.85 * explore, 15);
    expect(probabilities[1]).toBeCloseTo(0.05 + 0.85 * (explore + 0.9), 15);
    expect(probabilities[2]).toBeCloseTo(0.05 + 0.85 * explore, 15);
    const ucb1 = armProbabilities(banditPolicy({ kind: 'ucb1', floor: 0.1 }), arms, createRandom(1));
    expect(ucb1.map((p) => p.toFixed(12))).toEqual(['0.100000000000', '0.800000000000', '0.100000000000']);
  });

  it('estimates the Thompson probabilities (each arm’s posterior probability of being best)', () => {
    const probabilities = armProbabilities(banditPolicy({ kind: 'thompson-bernoulli', floor: 0 }), arms, createRandom(2), 20_000);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // Beta(31, 71) against Beta(21, 81): P(best) ≈ 0.94 for arm 1, ≈ 0.06 for arm 2, ≈ 0 for arm 0.
    expect(probabilities[1]).toBeGreaterThan(0.9);
    expect(probabilities[0]).toBeLessThan(0.01);
  });

  it('matches the selection frequencies of selectArm', () => {
    const policy = banditPolicy({ kind: 'thompson-bernoulli', floor: 0.1 });
    const rng = createRandom(3);
    const expected = armProbabilities(policy, arms, rng, 50_000);
    const counts = [0, 0, 0];
    const n = 50_000;
    for (let i = 0; i < n; i++) counts[selectArm(policy, arms, rng)]! += 1;
    for (let arm = 0; arm < 3; arm++) {
      const p = expected[arm]!;
      expect(Math.abs(counts[arm]! / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n) + 0.005);
    }
  });
});

/** Mean pseudo-regret Σ (best mean − chosen arm's mean) over `runs` runs of `rounds` Bernoulli rounds. */
function meanRegret(policy: BanditPolicy, means: readonly number[], rounds: number, runs: number, seed: number): number {
  const best = Math.max(...means);
  let total = 0;
  for (let run = 0; run < runs; run++) {
    const rng = createRandom(seed + run);
    const arms = emptyArms(means.length);
    for (let round = 0; round < rounds; round++) {
      const chosen = selectArm(policy, arms, rng);
      const mean = means[chosen]!;
      record(arms[chosen]!, rng.next() < mean ? 1 : 0);
      total += best - mean;
    }
  }
  return total / runs;
}

describe('regret on Bernoulli arms, 20,000 rounds averaged over 100 seeded runs (floor 0)', () => {
  const policies = {
    thompson: banditPolicy({ kind: 'thompson-bernoulli', floor: 0 }),
    ucb1: banditPolicy({ kind: 'ucb1', floor: 0 }),
    epsilonGreedy: banditPolicy({ kind: 'epsilon-greedy', floor: 0, epsilon: 0.1 }),
  };

  it('two arms (0.9, 0.8): Thompson sampling stays under 20', async ({ annotate }) => {
    const means = [0.9, 0.8];
    const thompson = meanRegret(policies.thompson, means, 20_000, 100, 100_000);
    const ucb1 = meanRegret(policies.ucb1, means, 20_000, 100, 100_000);
    const epsilonGreedy = meanRegret(policies.epsilonGreedy, means, 20_000, 100, 100_000);
    await annotate(`regret: thompson ${thompson.toFixed(2)}, ucb1 ${ucb1.toFixed(2)}, epsilon-greedy ${epsilonGreedy.toFixed(2)}`);
    expect(thompson).toBeLessThanOrEqual(20);
    expect(Number.isFinite(ucb1) && Number.isFinite(epsilonGreedy)).toBe(true);
    // ε-greedy alone pays ε/2 · 0.1 · 20,000 = 100 for exploring: far above Thompson sampling.
    expect(thompson).toBeLessThan(epsilonGreedy / 2);
    expect(thompson).toBeLessThan(ucb1 / 2);
  });

  it('ten arms (0.1, 0.05×3, 0.02×3, 0.01×3): Thompson sampling stays under 120', async ({ annotate }) => {
    const means = [0.1, 0.05, 0.05, 0.05, 0.02, 0.02, 0.02, 0.01, 0.01, 0.01];
    const thompson = meanRegret(policies.thompson, means, 20_000, 100, 200_000);
    const ucb1 = meanRegret(policies.ucb1, means, 20_000, 100, 200_000);
    const epsilonGreedy = meanRegret(policies.epsilonGreedy, means, 20_000, 100, 200_000);
    await annotate(`regret: thompson ${thompson.toFixed(2)}, ucb1 ${ucb1.toFixed(2)}, epsilon-greedy ${epsilonGreedy.toFixed(2)}`);
    expect(thompson).toBeLessThanOrEqual(120);
    expect(Number.isFinite(ucb1) && Number.isFinite(epsilonGreedy)).toBe(true);
    // UCB1's √(2 ln t / n) bonus is far wider than these small rewards need.
    expect(thompson).toBeLessThan(epsilonGreedy);
    expect(epsilonGreedy).toBeLessThan(ucb1);
  });
});

describe('exploration floor', () => {
  /** Share of `rounds` selections each arm gets with one arm clearly best. */
  function shares(options: BanditPolicyOptions, rounds: number, rng: Random): number[] {
    const policy = banditPolicy(options);
    const means = [0.9, 0.1, 0.1, 0.1];
    const arms = emptyArms(4);
    for (let round = 0; round < rounds; round++) {
      const chosen = selectArm(policy, arms, rng);
      record(arms[chosen]!, rng.next() < means[chosen]! ? 1 : 0);
    }
    return arms.map((arm) => arm.count / rounds);
  }

  it.each([
    { kind: 'thompson-bernoulli', floor: 0.05 },
    { kind: 'ucb1', floor: 0.05 },
    { kind: 'epsilon-greedy', floor: 0.05, epsilon: 0 },
    { kind: 'thompson-gaussian', floor: 0.05 },
  ] as const)('$kind with floor $floor gives every arm at least that share of 20,000 selections', (options) => {
    const result = shares(options, 20_000, createRandom(42));
    // The floor alone gives an arm Binomial(20,000, 0.05) selections: 4 standard errors below 5% is 4.38%.
    for (const share of result) expect(share).toBeGreaterThanOrEqual(0.05 - 4 * Math.sqrt((0.05 * 0.95) / 20_000));
    // ...and the policy still plays the best arm with most of the rest.
    expect(result[0]).toBeGreaterThan(0.75);
  });

  it('without a floor, Thompson sampling starves the bad arms', () => {
    const result = shares({ kind: 'thompson-bernoulli', floor: 0 }, 20_000, createRandom(42));
    for (const share of result.slice(1)) expect(share).toBeLessThan(0.01);
  });
});

describe('Gaussian Thompson sampling', () => {
  it.for([
    { low: 1, high: 1.2, sd: 1 },
    { low: 1000, high: 1002, sd: 10 },
  ])('picks the better of N($low, $sd²) and N($high, $sd²) most of the time after 2,000 rounds', async ({ low, high, sd }, { annotate }) => {
    const runs = 50;
    const policy = banditPolicy({ kind: 'thompson-gaussian', floor: 0 });
    let lateBest = 0;
    for (let run = 0; run < runs; run++) {
      const rng = createRandom(300_000 + run);
      const arms = emptyArms(2);
      for (let round = 0; round < 3000; round++) {
        const chosen = selectArm(policy, arms, rng);
        record(arms[chosen]!, (chosen === 1 ? high : low) + sd * sampleNormal(rng));
        if (round >= 2000 && chosen === 1) lateBest++;
      }
    }
    // Rounds 2,001–3,000 of every run: share of plays on the better arm. Both cases have the same
    // standardized gap (0.2 sd) and seeds; the posterior is location-scale invariant, so they agree.
    await annotate(`better arm played in ${lateBest / (runs * 1000)} of rounds 2,001–3,000`);
    expect(lateBest / (runs * 1000)).toBeGreaterThan(0.9);
  });
});
