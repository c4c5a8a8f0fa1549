import { describe, expect, it } from 'vitest';
import {
  createRandom,
  sampleBernoulli,
  sampleBeta,
  sampleGamma,
  sampleNormal,
  xoshiro128StarStar,
} from '../../../src/routing/statistics/random.js';

describe('createRandom', () => {
  it('implements xoshiro128** (reference vector from state 1, 2, 3, 4)', () => {
    const rng = xoshiro128StarStar(1, 2, 3, 4);
    const outputs = [rng.next(), rng.next(), rng.next()].map((u) => u * 2 ** 32);
    expect(outputs).toEqual([11520, 0, 5927040]);
  });

  it('replays the same stream for the same seed', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    expect([a.next(), a.next(), a.next()]).toEqual([0.15377165307290852, 0.8504893006756902, 0.018084544222801924]);
    expect([b.next(), b.next(), b.next()]).toEqual([0.15377165307290852, 0.8504893006756902, 0.018084544222801924]);
  });

  it('gives unrelated streams for neighbouring and large seeds', () => {
    const firsts = [0, 1, 2, 2 ** 32, 2 ** 40 + 42, -1].map((seed) => createRandom(seed).next());
    expect(new Set(firsts).size).toBe(firsts.length);
  });

  it('rejects a seed that is not a safe integer', () => {
    expect(() => createRandom(1.5)).toThrow('seed must be a safe integer, received 1.5.');
    expect(() => xoshiro128StarStar(0, 0, 0, 0)).toThrow('xoshiro128** state must not be all zero.');
  });

  it('is uniform on [0, 1): mean, variance and deciles over 1e6 draws', () => {
    const rng = createRandom(7);
    const n = 1_000_000;
    const deciles = new Array<number>(10).fill(0);
    let sum = 0;
    let sumSquares = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      sumSquares += u * u;
      deciles[Math.floor(u * 10)]! += 1;
    }
    expect(outside).toBe(0);
    // Mean 1/2 with sd √(1/12n) ≈ 2.9e-4; tolerances are 5 sd.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.0015);
    expect(Math.abs(sumSquares / n - 1 / 3)).toBeLessThan(0.0015);
    // Pearson χ² with 9 df: P(χ² > 27.88) = 0.001.
    const chi2 = deciles.reduce((acc, count) => acc + (count - n / 10) ** 2 / (n / 10), 0);
    expect(chi2).toBeLessThan(27.88);
  });
});

/** Mean and variance of `n` draws. */
function moments(draw: () => number, n: number): { mean: number; variance: number } {
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    sum += x;
    sumSquares += x * x;
  }
  const mean = sum / n;
  return { mean, variance: sumSquares / n - mean * mean };
}

describe('samplers', () => {
  const n = 200_000;

  it('sampleNormal has mean 0 and variance 1', () => {
    const rng = createRandom(1);
    const { mean, variance } = moments(() => sampleNormal(rng), n);
    // sd of the mean √(1/n) ≈ 0.0022; of the variance √(2/n) ≈ 0.0032.
    expect(Math.abs(mean)).toBeLessThan(0.011);
    expect(Math.abs(variance - 1)).toBeLessThan(0.016);
  });

  it.each([0.3, 1, 2.5, 40])('sampleGamma(%s) has mean and variance equal to its shape', (shape) => {
    const rng = createRandom(2);
    const { mean, variance } = moments(() => sampleGamma(rng, shape), n);
    const sdMean = Math.sqrt(shape / n);
    expect(Math.abs(mean - shape)).toBeLessThan(5 * sdMean);
    // Var of the sample variance ≈ (μ₄ − σ⁴)/n with μ₄ = 3k² + 6k for Gamma(k).
    const sdVariance = Math.sqrt((3 * shape * shape + 6 * shape - shape * shape) / n);
    expect(Math.abs(variance - shape)).toBeLessThan(5 * sdVariance);
  });

  it('sampleGamma rejects a non-positive shape', () => {
    expect(() => sampleGamma(createRandom(1), 0)).toThrow('gamma shape must be a positive finite number, received 0.');
  });

  it.each([
    [1, 1],
    [0.5, 0.5],
    [3, 40],
    [200, 1800],
  ])('sampleBeta(%s, %s) has the Beta mean and variance', (a, b) => {
    const rng = createRandom(3);
    const { mean, variance } = moments(() => sampleBeta(rng, a, b), n);
    const exactMean = a / (a + b);
    const exactVariance = (a * b) / ((a + b) ** 2 * (a + b + 1));
    expect(Math.abs(mean - exactMean)).toBeLessThan(5 * Math.sqrt(exactVariance / n));
    expect(Math.abs(variance / exactVariance - 1)).toBeLessThan(0.03);
  });

  it('sampleBernoulli is 1 with probability p', () => {
    const rng = createRandom(4);
    const { mean } = moments(() => sampleBernoulli(rng, 0.1), n);
    expect(Math.abs(mean - 0.1)).toBeLessThan(5 * Math.sqrt(0.09 / n));
  });
});
