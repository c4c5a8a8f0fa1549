import { describe, expect, it } from 'vitest';
import {
  createRandom,
  kolmogorovSf,
  kolmogorovSmirnovTest,
  populationStabilityIndex,
  psiCriticalValue,
  sampleNormal,
  type Random,
} from '../../../src/routing/statistics/index.js';

function normals(rng: Random, n: number, mean = 0): number[] {
  return Array.from({ length: n }, () => mean + sampleNormal(rng));
}

describe('populationStabilityIndex', () => {
  it('is Σ (q − p) ln(q / p) over quantile bins of the reference', () => {
    // Reference 1..10 with 2 bins: edge at the median 5.5, shares 0.5 / 0.5; current shares 0.75 / 0.25.
    const result = populationStabilityIndex([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 1, 1, 9], { bins: 2 });
    expect(result.edges).toEqual([5.5]);
    expect(result.referenceShares).toEqual([0.5, 0.5]);
    expect(result.currentShares).toEqual([0.75, 0.25]);
    expect(result.psi).toBeCloseTo(0.25 * Math.log(1.5) + 0.25 * Math.log(2), 15);
    expect(result.criticalValue).toBeCloseTo((1 / 10 + 1 / 4) * 3.841458820694124, 12);
  });

  it('puts a value equal to an edge in the lower bin and floors empty bins at epsilon', () => {
    const result = populationStabilityIndex([1, 2, 3, 4], [2.5, 2.5], { bins: 2, epsilon: 0.01 });
    expect(result.edges).toEqual([2.5]);
    expect(result.currentShares).toEqual([1, 0]);
    expect(result.psi).toBeCloseTo(0.5 * Math.log(2) + (0.01 - 0.5) * Math.log(0.01 / 0.5), 15);
  });

  it('merges bins that ties in the reference make identical', () => {
    const reference = [0, 0, 0, 0, 0, 0, 0, 1, 2, 3];
    const result = populationStabilityIndex(reference, reference, { bins: 5 });
    expect(result.edges).toEqual([0, 1.2000000000000002]);
    expect(result.psi).toBe(0);
    expect(result.criticalValue).toBeCloseTo(0.2 * 5.991464547107979, 12);
  });

  it('says which input is wrong', () => {
    expect(() => populationStabilityIndex([], [1])).toThrow('sample "reference" is empty.');
    expect(() => populationStabilityIndex([1, Number.NaN], [1])).toThrow('sample "reference" has NaN at index 1.');
    expect(() => populationStabilityIndex([1, 2], [1], { bins: 1 })).toThrow('PSI option "bins" must be an integer >= 2, received 1.');
  });

  it('has the Yurdakul critical value (1/n + 1/m)·χ²_{B−1}(1 − α)', () => {
    expect(psiCriticalValue(10, 2000, 2000, 0.05)).toBeCloseTo(0.001 * 16.918977604620448, 14);
  });

  it('exceeds its critical value at about α for one distribution, and almost always for a 0.5 sd shift', async ({ annotate }) => {
    const runs = 500;
    let sameFlags = 0;
    let shiftedFlags = 0;
    for (let run = 0; run < runs; run++) {
      const rng = createRandom(8_000_000 + run);
      const reference = normals(rng, 2000);
      if (populationStabilityIndex(reference, normals(rng, 2000)).drift) sameFlags++;
      if (populationStabilityIndex(reference, normals(rng, 2000, 0.5)).drift) shiftedFlags++;
    }
    await annotate(`PSI at α = 0.05, n = m = 2000: same distribution ${sameFlags / runs}, +0.5 sd ${shiftedFlags / runs}`);
    // 2α = 0.1 is 7 binomial standard errors above α for 500 runs.
    expect(sameFlags / runs).toBeLessThanOrEqual(0.1);
    expect(shiftedFlags / runs).toBeGreaterThanOrEqual(0.95);
  });
});

describe('kolmogorovSmirnovTest', () => {
  it('computes D as the largest gap between the empirical CDFs, ties stepped together', () => {
    expect(kolmogorovSmirnovTest([1, 2, 3], [4, 5, 6]).statistic).toBe(1);
    const result = kolmogorovSmirnovTest([1, 2, 3, 4], [3, 4, 5, 6]);
    expect(result.statistic).toBe(0.5);
    const root = Math.sqrt(2);
    expect(result.pValue).toBeCloseTo(kolmogorovSf((root + 0.12 + 0.11 / root) * 0.5), 15);
    expect(kolmogorovSmirnovTest([1, 1, 1], [1, 1])).toEqual({ statistic: 0, pValue: 1 });
  });

  it('rejects at about α for one distribution (p-values near uniform) and detects a 0.5 sd shift', async ({ annotate }) => {
    const runs = 500;
    let sameRejections = 0;
    let sameBelowHalf = 0;
    let shiftedRejections = 0;
    for (let run = 0; run < runs; run++) {
      const rng = createRandom(9_000_000 + run);
      const same = kolmogorovSmirnovTest(normals(rng, 500), normals(rng, 500));
      if (same.pValue < 0.05) sameRejections++;
      if (same.pValue < 0.5) sameBelowHalf++;
      if (kolmogorovSmirnovTest(normals(rng, 500), normals(rng, 500, 0.5)).pValue < 0.05) shiftedRejections++;
    }
    await annotate(
      `KS, n = m = 500: same distribution rejects ${sameRejections / runs} at 0.05 and has p < 0.5 in ${sameBelowHalf / runs}; +0.5 sd rejects ${shiftedRejections / runs}`,
    );
    // Bounds: α ± 3 binomial standard errors (0.05 ± 0.029), 0.5 ± 3 standard errors (0.5 ± 0.067).
    expect(sameRejections / runs).toBeGreaterThanOrEqual(0.021);
    expect(sameRejections / runs).toBeLessThanOrEqual(0.079);
    expect(sameBelowHalf / runs).toBeGreaterThanOrEqual(0.433);
    expect(sameBelowHalf / runs).toBeLessThanOrEqual(0.567);
    expect(shiftedRejections / runs).toBeGreaterThanOrEqual(0.99);
  });
});
