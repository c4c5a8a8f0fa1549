import { describe, expect, it } from 'vitest';
import {
  chiSquareCdf,
  chiSquareQuantile,
  chiSquareSf,
  kolmogorovSf,
  lnGamma,
  normalCdf,
  normalQuantile,
  normalSf,
  regularizedBeta,
  regularizedGammaP,
  studentTCdf,
  studentTQuantile,
} from '../../../src/routing/statistics/index.js';

// Reference values: R 4.x (pnorm, qnorm, pchisq, qchisq, pt, qt, lgamma) and the Kolmogorov series.
describe('normal distribution', () => {
  it.each([
    [0, 0.5],
    [1, 0.8413447460685429],
    [-1.959963984540054, 0.025],
    [1.6448536269514722, 0.95],
    [2.5, 0.9937903346742238],
    [-3, 0.0013498980316301],
    [-5, 2.866515718791939e-7],
  ])('Φ(%s) = %s', (x, p) => {
    expect(Math.abs(normalCdf(x) - p)).toBeLessThan(1e-12);
  });

  it('keeps relative precision in the far tail', () => {
    expect(normalSf(8) / 6.220960574271785e-16 - 1).toBeLessThan(1e-7);
    expect(normalSf(10) / 7.619853024160527e-24 - 1).toBeLessThan(1e-7);
    expect(normalCdf(-40)).toBe(0);
    expect(normalCdf(40)).toBe(1);
  });

  it.each([
    [0.5, 0],
    [0.975, 1.959963984540054],
    [0.95, 1.6448536269514722],
    [0.001, -3.090232306167813],
    [0.1, -1.2815515655446004],
    [1e-10, -6.361340902404056],
  ])('Φ⁻¹(%s) = %s', (p, x) => {
    expect(Math.abs(normalQuantile(p) - x)).toBeLessThan(1e-7 * Math.max(1, Math.abs(x)));
  });

  it('inverts the CDF', () => {
    for (const p of [1e-8, 0.0123, 0.3, 0.5, 0.77, 0.999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 14);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(() => normalQuantile(1.5)).toThrow('probability must be in [0, 1], received 1.5.');
  });
});

describe('gamma and chi-square', () => {
  it.each([
    [0.5, 0.5723649429247001],
    [1, 0],
    [10, 12.801827480081469],
    [100.5, 361.4355404677776],
    [1e6, 12815504.569147612],
  ])('lnΓ(%s) = %s', (x, value) => {
    expect(Math.abs(lnGamma(x) - value)).toBeLessThan(1e-12 * Math.max(1, Math.abs(value)));
  });

  it('P(1, x) is the exponential CDF', () => {
    for (const x of [0.01, 1, 5, 30]) expect(regularizedGammaP(1, x)).toBeCloseTo(1 - Math.exp(-x), 14);
  });

  it('χ² = 3.841 with 1 df has p = 0.05', () => {
    expect(Math.abs(chiSquareSf(3.841, 1) - 0.05)).toBeLessThan(1e-4);
    expect(chiSquareSf(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
  });

  it('the 0.95 quantile with 9 df is 16.919', () => {
    expect(chiSquareQuantile(0.95, 9)).toBeCloseTo(16.918977604620448, 9);
    expect(chiSquareQuantile(0.999, 1)).toBeCloseTo(10.827566170662733, 9);
    expect(chiSquareQuantile(0.01, 5)).toBeCloseTo(0.5542980767282772, 9);
  });

  it('CDF and survival function agree and invert', () => {
    for (const df of [1, 2, 9, 50]) {
      for (const x of [0.5, 3, 20, 80]) expect(chiSquareCdf(x, df) + chiSquareSf(x, df)).toBeCloseTo(1, 14);
      for (const p of [0.001, 0.5, 0.95, 0.999999]) expect(chiSquareCdf(chiSquareQuantile(p, df), df)).toBeCloseTo(p, 12);
    }
    // With 2 df the survival function is e^{−x/2}: the far tail keeps its digits.
    expect(chiSquareSf(100, 2) / Math.exp(-50) - 1).toBeLessThan(1e-12);
  });
});

describe('Student t', () => {
  it.each([
    [0.975, 10, 2.228138851986273],
    [0.975, 1, 12.706204736174705],
    [0.025, 3, -3.182446305284263],
    [0.9, 1e8, 1.2815515655446004],
  ])('the %s quantile with %s df is %s', (p, df, t) => {
    expect(Math.abs(studentTQuantile(p, df) - t)).toBeLessThan(1e-7 * Math.abs(t));
  });

  it('has the known CDF values', () => {
    expect(studentTCdf(2, 5)).toBeCloseTo(0.9490302605850709, 12);
    expect(studentTCdf(-1, 1)).toBeCloseTo(0.25, 14);
    expect(studentTCdf(1.5, Number.POSITIVE_INFINITY)).toBe(normalCdf(1.5));
  });

  it('I_x(a, 1) = x^a', () => {
    expect(regularizedBeta(0.3, 2.5, 1)).toBeCloseTo(0.3 ** 2.5, 14);
  });
});

describe('Kolmogorov distribution', () => {
  it('Q(1.36) ≈ 0.049 (the 5% critical value of √n·D)', () => {
    expect(kolmogorovSf(1.36)).toBeCloseTo(0.04948587675537788, 12);
  });

  it('has the known values and is continuous where the two series meet', () => {
    expect(kolmogorovSf(1)).toBeCloseTo(0.26999967167735456, 12);
    expect(kolmogorovSf(0.5)).toBeCloseTo(0.9639452436648751, 12);
    expect(kolmogorovSf(0)).toBe(1);
    expect(Math.abs(kolmogorovSf(1.18 - 1e-12) - kolmogorovSf(1.18))).toBeLessThan(1e-12);
  });
});
