import { describe, expect, it } from 'vitest';
import {
  createRandom,
  liftInterval,
  meanDifferenceInterval,
  meanInterval,
  proportionDifferenceInterval,
  proportionSummary,
  sampleNormal,
  summarize,
  wilsonInterval,
} from '../../../src/routing/statistics/index.js';

describe('wilsonInterval', () => {
  it('matches the published example (81/263 → 0.2553, 0.3662; Newcombe 1998)', () => {
    const interval = wilsonInterval(81, 263);
    expect(interval.estimate).toBeCloseTo(81 / 263, 15);
    expect(interval.lower).toBeCloseTo(0.2553, 4);
    expect(interval.upper).toBeCloseTo(0.3662, 4);
    expect(interval.confidence).toBe(0.95);
  });

  it('stays inside [0, 1] at the boundaries', () => {
    expect(wilsonInterval(0, 10)).toEqual({ estimate: 0, lower: 0, upper: 0.27753279986288915, confidence: 0.95 });
    expect(wilsonInterval(10, 10).upper).toBe(1);
    expect(wilsonInterval(0, 0)).toEqual({ estimate: Number.NaN, lower: 0, upper: 1, confidence: 0.95 });
  });

  it('says which argument is wrong', () => {
    expect(() => wilsonInterval(11, 10)).toThrow('successes must be between 0 and trials (10), received 11.');
    expect(() => wilsonInterval(1, 10, 95)).toThrow('confidence must be strictly between 0 and 1 (e.g. 0.95), received 95.');
  });

  it('covers the true p in about 95% of 2000 seeded runs (n = 200, p = 0.1)', async ({ annotate }) => {
    const runs = 2000;
    let covered = 0;
    for (let run = 0; run < runs; run++) {
      const rng = createRandom(10_000 + run);
      let successes = 0;
      for (let i = 0; i < 200; i++) if (rng.next() < 0.1) successes++;
      const { lower, upper } = wilsonInterval(successes, 200);
      if (lower <= 0.1 && 0.1 <= upper) covered++;
    }
    await annotate(`Wilson coverage ${covered / runs}`);
    expect(covered / runs).toBeGreaterThanOrEqual(0.93);
    expect(covered / runs).toBeLessThanOrEqual(0.97);
  });
});

describe('meanInterval and meanDifferenceInterval', () => {
  it('is the t interval', () => {
    // 3 ± t_{0.975,4} · √(2.5/5) = 3 ± 2.7764451 · 0.7071068
    const interval = meanInterval(summarize([1, 2, 3, 4, 5]));
    expect(interval.lower).toBeCloseTo(3 - 2.7764451051977987 * Math.SQRT1_2, 12);
    expect(interval.upper).toBeCloseTo(3 + 2.7764451051977987 * Math.SQRT1_2, 12);
  });

  it('uses the Welch–Satterthwaite degrees of freedom', () => {
    // s² = 2.5 (n = 5) and 14 (n = 6): V = 0.5 + 14/6, ν = V² / (0.5²/4 + (14/6)²/5).
    const interval = meanDifferenceInterval(summarize([1, 2, 3, 4, 5]), summarize([2, 4, 6, 8, 10, 12]));
    const v = 0.5 + 14 / 6;
    expect(interval.estimate).toBe(4);
    expect(interval.degreesOfFreedom).toBeCloseTo((v * v) / (0.25 / 4 + (14 / 6) ** 2 / 5), 12);
    expect(interval.lower).toBeCloseTo(0.016531304371172784, 9);
    expect(interval.upper).toBeCloseTo(7.983468695628828, 9);
  });

  it('is degenerate for constant data and undefined for too little', () => {
    expect(meanDifferenceInterval(summarize([1, 1]), summarize([3, 3, 3]))).toMatchObject({ lower: 2, upper: 2 });
    expect(meanDifferenceInterval(summarize([1]), summarize([3, 4])).lower).toBeNaN();
  });

  it('covers the true difference in about 95% of 2000 runs with unequal, small arms', async ({ annotate }) => {
    // Control: 8 draws of N(0, 1); treatment: 20 draws of N(1, 3²). Pooled-variance t would be off here.
    const runs = 2000;
    let covered = 0;
    for (let run = 0; run < runs; run++) {
      const rng = createRandom(20_000 + run);
      const control = summarize(Array.from({ length: 8 }, () => sampleNormal(rng)));
      const treatment = summarize(Array.from({ length: 20 }, () => 1 + 3 * sampleNormal(rng)));
      const { lower, upper } = meanDifferenceInterval(control, treatment);
      if (lower <= 1 && 1 <= upper) covered++;
    }
    await annotate(`Welch coverage ${covered / runs}`);
    expect(covered / runs).toBeGreaterThanOrEqual(0.93);
    expect(covered / runs).toBeLessThanOrEqual(0.97);
  });
});

describe('proportionDifferenceInterval (Newcombe hybrid score)', () => {
  it('matches Newcombe 1998, example (a): 56/70 − 48/80 → 0.0524, 0.3339', () => {
    const interval = proportionDifferenceInterval(proportionSummary(48, 80), proportionSummary(56, 70));
    expect(interval.estimate).toBeCloseTo(0.2, 12);
    expect(interval.lower).toBeCloseTo(0.0524, 4);
    expect(interval.upper).toBeCloseTo(0.3339, 4);
  });
});

describe('liftInterval (delta method)', () => {
  it('computes m_t/m_c − 1 ± z·√(Var(m_t)/m_c² + m_t²·Var(m_c)/m_c⁴)', () => {
    const interval = liftInterval(proportionSummary(100, 1000), proportionSummary(120, 1000));
    const varianceC = (100 - 100 ** 2 / 1000) / 999 / 1000;
    const varianceT = (120 - 120 ** 2 / 1000) / 999 / 1000;
    const half = 1.959963984540054 * Math.sqrt(varianceT / 0.01 + (0.0144 * varianceC) / 1e-4);
    expect(interval?.estimate).toBeCloseTo(0.2, 12);
    expect(interval?.lower).toBeCloseTo(0.2 - half, 12);
    expect(interval?.upper).toBeCloseTo(0.2 + half, 12);
  });

  it('is undefined without a control mean', () => {
    expect(liftInterval(proportionSummary(0, 1000), proportionSummary(10, 1000))).toBeUndefined();
    expect(liftInterval(proportionSummary(1, 1), proportionSummary(10, 1000))).toBeUndefined();
  });

  it('covers the true lift in about 95% of 1000 runs (p = 0.10 vs 0.12, 5000 per arm)', async ({ annotate }) => {
    const runs = 1000;
    let covered = 0;
    for (let run = 0; run < runs; run++) {
      const rng = createRandom(30_000 + run);
      let c = 0;
      let t = 0;
      for (let i = 0; i < 5000; i++) {
        if (rng.next() < 0.1) c++;
        if (rng.next() < 0.12) t++;
      }
      const interval = liftInterval(proportionSummary(c, 5000), proportionSummary(t, 5000));
      if (interval !== undefined && interval.lower <= 0.2 && 0.2 <= interval.upper) covered++;
    }
    await annotate(`lift coverage ${covered / runs}`);
    expect(covered / runs).toBeGreaterThanOrEqual(0.93);
    expect(covered / runs).toBeLessThanOrEqual(0.97);
  });
});
