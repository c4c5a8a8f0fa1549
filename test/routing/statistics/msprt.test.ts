import { describe, expect, it } from 'vitest';
import {
  MsprtTracker,
  createRandom,
  defaultMixingVariance,
  msprt,
  normalSf,
  proportionSummary,
  sampleNormal,
  summarize,
  type MsprtOptions,
  type Random,
  type SampleSummary,
} from '../../../src/routing/statistics/index.js';

describe('msprt (one look)', () => {
  it('is the paper’s statistic for equal arms with known σ²', () => {
    // Johari et al.: Λ = √(2σ²/(2σ² + nτ²)) · exp(n²τ²θ̂² / (4σ²(2σ² + nτ²))), σ² = p̄(1 − p̄) pooled.
    const control = proportionSummary(100, 1000);
    const treatment = proportionSummary(135, 1000);
    const tau2 = 4e-4;
    const n = 1000;
    const p = 235 / 2000;
    const sigma2 = p * (1 - p);
    const theta = 0.035;
    const logLambda =
      0.5 * Math.log((2 * sigma2) / (2 * sigma2 + n * tau2)) + (n * n * tau2 * theta * theta) / (4 * sigma2 * (2 * sigma2 + n * tau2));
    const result = msprt(control, treatment, { outcome: 'bernoulli', mixingVariance: tau2 });
    expect(result.difference).toBeCloseTo(theta, 15);
    expect(result.variance).toBeCloseTo((2 * sigma2) / n, 15);
    expect(result.logLikelihoodRatio).toBeCloseTo(logLambda, 12);
    expect(result.pValue).toBeCloseTo(Math.exp(-logLambda), 12);
  });

  it('defaults τ² to (0.1·σ̂)² with σ̂² pooled over both arms', () => {
    const control = proportionSummary(100, 1000);
    const treatment = proportionSummary(140, 1000);
    expect(defaultMixingVariance(control, treatment, 'bernoulli')).toBeCloseTo(0.01 * 0.12 * 0.88, 15);
    expect(msprt(control, treatment, { outcome: 'bernoulli' }).mixingVariance).toBeCloseTo(0.01 * 0.12 * 0.88, 15);
    const a = summarize([1, 2, 3, 4, 5]); // s² = 2.5
    const b = summarize([2, 4, 6, 8, 10, 12]); // s² = 14
    expect(defaultMixingVariance(a, b, 'continuous')).toBeCloseTo((0.01 * (4 * 2.5 + 5 * 14)) / 9, 15);
  });

  it('reports no evidence (p = 1) until the variance can be estimated', () => {
    expect(msprt(summarize([1]), summarize([2, 3]))).toMatchObject({ logLikelihoodRatio: 0, pValue: 1 });
    expect(msprt(proportionSummary(0, 50), proportionSummary(0, 50), { outcome: 'bernoulli' }).pValue).toBe(1);
  });

  it('names the bad option', () => {
    expect(() => msprt(summarize([1, 2]), summarize([1, 2]), { mixingVariance: -1 })).toThrow(
      'msprt option "mixingVariance" must be a positive number (τ² on the scale of the mean difference), received -1. Omit it for the default (0.1·σ̂)².',
    );
    expect(() => new MsprtTracker({ outcome: 'binary' } as unknown as MsprtOptions)).toThrow(
      'msprt option "outcome" must be "bernoulli" or "continuous", received "binary".',
    );
    expect(() => new MsprtTracker({ alpha: 5 })).toThrow('msprt option "alpha" must be strictly between 0 and 1, received 5.');
  });
});

describe('MsprtTracker', () => {
  it('keeps the running minimum and fixes τ² at the first informative look', () => {
    const tracker = new MsprtTracker({ outcome: 'bernoulli' });
    const first = tracker.look(proportionSummary(10, 100), proportionSummary(25, 100));
    const tau2 = 0.01 * 0.175 * 0.825;
    expect(first.mixingVariance).toBeCloseTo(tau2, 15);
    // The later look is closer to no effect: its own p-value is larger, the running one is not.
    const second = tracker.look(proportionSummary(30, 300), proportionSummary(33, 300));
    expect(second.mixingVariance).toBe(first.mixingVariance);
    expect(second.pValue).toBeGreaterThan(first.pValue);
    expect(second.alwaysValidPValue).toBe(first.pValue);
    expect(tracker.state).toEqual({ looks: 2, mixingVariance: first.mixingVariance, alwaysValidPValue: first.pValue });
    expect(tracker.toString()).toBe(`msprt(bernoulli,tau2=${first.mixingVariance.toPrecision(3)},p=${first.pValue.toPrecision(3)})`);
  });

  it('continues from a saved state exactly', () => {
    const looks: [SampleSummary, SampleSummary][] = [
      [proportionSummary(12, 100), proportionSummary(15, 100)],
      [proportionSummary(20, 200), proportionSummary(35, 200)],
      [proportionSummary(31, 300), proportionSummary(52, 300)],
    ];
    const straight = new MsprtTracker({ outcome: 'bernoulli' });
    const results = looks.map(([c, t]) => straight.look(c, t));
    const first = new MsprtTracker({ outcome: 'bernoulli' });
    first.look(...looks[0]!);
    const restored = new MsprtTracker({ outcome: 'bernoulli' }, JSON.parse(JSON.stringify(first.state)));
    expect([restored.look(...looks[1]!), restored.look(...looks[2]!)]).toEqual(results.slice(1));
  });
});

/** A mutable arm for the simulations (assignable to the readonly summary). */
interface Arm {
  count: number;
  sum: number;
  sumSquares: number;
}

/** Two-sided pooled z-test for two proportions: the naive fixed-horizon test, applied at every look. */
function naiveProportionPValue(c: Arm, t: Arm): number {
  const p = (c.sum + t.sum) / (c.count + t.count);
  const se = Math.sqrt(p * (1 - p) * (1 / c.count + 1 / t.count));
  return se > 0 ? 2 * normalSf(Math.abs(t.sum / t.count - c.sum / c.count) / se) : 1;
}

/** Two-sided Welch z-test for two means, applied at every look. */
function naiveMeanPValue(c: Arm, t: Arm): number {
  const vc = (c.sumSquares - (c.sum * c.sum) / c.count) / (c.count - 1);
  const vt = (t.sumSquares - (t.sum * t.sum) / t.count) / (t.count - 1);
  const se = Math.sqrt(vc / c.count + vt / t.count);
  return se > 0 ? 2 * normalSf(Math.abs(t.sum / t.count - c.sum / c.count) / se) : 1;
}

interface SimulationResult {
  /** Share of runs where the always-valid p-value went below α at some look. */
  readonly msprtRate: number;
  /** Share of runs where the naive test went below α at some look. */
  readonly naiveRate: number;
  /** Median number of units at the mSPRT's first rejection, over the runs that rejected. */
  readonly medianStop: number;
}

/**
 * `runs` experiments of `units` units each, every unit assigned to an arm by a fair coin, with a
 * look after every `every` units; each test stops at its first look with p < α = 0.05.
 */
function simulate(options: {
  readonly runs: number;
  readonly units: number;
  readonly every: number;
  readonly seed: number;
  readonly outcome: 'bernoulli' | 'continuous';
  readonly draw: (rng: Random, treatment: boolean) => number;
}): SimulationResult {
  const { runs, units, every, seed, outcome, draw } = options;
  const naive = outcome === 'bernoulli' ? naiveProportionPValue : naiveMeanPValue;
  let msprtRejections = 0;
  let naiveRejections = 0;
  const stops: number[] = [];
  for (let run = 0; run < runs; run++) {
    const rng = createRandom(seed + run);
    const control: Arm = { count: 0, sum: 0, sumSquares: 0 };
    const treatment: Arm = { count: 0, sum: 0, sumSquares: 0 };
    const tracker = new MsprtTracker({ outcome, alpha: 0.05 });
    let msprtRejected = false;
    let naiveRejected = false;
    for (let unit = 1; unit <= units; unit++) {
      const isTreatment = rng.next() < 0.5;
      const arm = isTreatment ? treatment : control;
      const y = draw(rng, isTreatment);
      arm.count++;
      arm.sum += y;
      arm.sumSquares += y * y;
      if (unit % every !== 0) continue;
      if (!msprtRejected && tracker.look(control, treatment).reject) {
        msprtRejected = true;
        stops.push(unit);
      }
      if (!naiveRejected && control.count > 1 && treatment.count > 1 && naive(control, treatment) < 0.05) naiveRejected = true;
      if (msprtRejected && naiveRejected) break;
    }
    if (msprtRejected) msprtRejections++;
    if (naiveRejected) naiveRejections++;
  }
  stops.sort((a, b) => a - b);
  return {
    msprtRate: msprtRejections / runs,
    naiveRate: naiveRejections / runs,
    medianStop: stops.length > 0 ? (stops[Math.floor(stops.length / 2)] as number) : Number.NaN,
  };
}

/** α plus three binomial standard errors: a false-positive rate above this is not simulation noise. */
function upperBound(alpha: number, runs: number): number {
  return alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / runs);
}

describe('mSPRT on seeded simulations (looks every 100 units, α = 0.05)', () => {
  it('A/A, Bernoulli p = 0.1, 2000 runs × 10,000 units: the always-valid p-value holds α, peeking at a z-test does not', async ({ annotate }) => {
    const runs = 2000;
    const result = simulate({
      runs,
      units: 10_000,
      every: 100,
      seed: 1_000_000,
      outcome: 'bernoulli',
      draw: (rng) => (rng.next() < 0.1 ? 1 : 0),
    });
    await annotate(`false-positive rate: mSPRT ${result.msprtRate}, naive z-test at every look ${result.naiveRate}`);
    expect(result.msprtRate).toBeLessThanOrEqual(upperBound(0.05, runs)); // 0.0646
    expect(result.naiveRate).toBeGreaterThan(0.25);
  });

  it('A/A, continuous N(10, 3²), 500 runs × 10,000 units', async ({ annotate }) => {
    const runs = 500;
    const result = simulate({
      runs,
      units: 10_000,
      every: 100,
      seed: 2_000_000,
      outcome: 'continuous',
      draw: (rng) => 10 + 3 * sampleNormal(rng),
    });
    await annotate(`false-positive rate: mSPRT ${result.msprtRate}, naive Welch z-test at every look ${result.naiveRate}`);
    expect(result.msprtRate).toBeLessThanOrEqual(upperBound(0.05, runs)); // 0.0792
    expect(result.naiveRate).toBeGreaterThan(0.2);
  });

  it('A/A, skewed continuous (log-normal, σ = 1, like revenue), 500 runs × 10,000 units', async ({ annotate }) => {
    const runs = 500;
    const result = simulate({
      runs,
      units: 10_000,
      every: 100,
      seed: 2_500_000,
      outcome: 'continuous',
      draw: (rng) => Math.exp(sampleNormal(rng)),
    });
    await annotate(`false-positive rate: mSPRT ${result.msprtRate}, naive Welch z-test at every look ${result.naiveRate}`);
    expect(result.msprtRate).toBeLessThanOrEqual(upperBound(0.05, runs)); // 0.0792
  });

  it('power: p = 0.10 vs 0.13 is detected in at least 90% of 500 runs within 10,000 units (≈5,000 per arm)', async ({ annotate }) => {
    const result = simulate({
      runs: 500,
      units: 10_000,
      every: 100,
      seed: 3_000_000,
      outcome: 'bernoulli',
      draw: (rng, isTreatment) => (rng.next() < (isTreatment ? 0.13 : 0.1) ? 1 : 0),
    });
    await annotate(`power ${result.msprtRate}, median stop at ${result.medianStop} units`);
    expect(result.msprtRate).toBeGreaterThanOrEqual(0.9);
  });

  it('power: a continuous effect of 0.1 sd is detected in at least 90% of 200 runs within 10,000 units', async ({ annotate }) => {
    const result = simulate({
      runs: 200,
      units: 10_000,
      every: 100,
      seed: 4_000_000,
      outcome: 'continuous',
      draw: (rng, isTreatment) => (isTreatment ? 10.3 : 10) + 3 * sampleNormal(rng),
    });
    await annotate(`power ${result.msprtRate}, median stop at ${result.medianStop} units`);
    expect(result.msprtRate).toBeGreaterThanOrEqual(0.9);
  });
});
