import { describe, expect, it } from 'vitest';
import type { CombinerVersionDef, ComponentDef } from '../../../src/definition/types.js';
import { combineValues } from '../../../src/nodes/combiner/executor.js';

const component = (name: string, overrides: Partial<ComponentDef> = {}): ComponentDef => ({
  name,
  ref: { source: 'input', field: name },
  weight: 1,
  transform: 'identity',
  reference: 0,
  reasonCode: name.toUpperCase(),
  reasonDescription: undefined,
  ...overrides,
});

const version = (overrides: Partial<CombinerVersionDef>): CombinerVersionDef => ({
  name: 'v1',
  sha256: '0'.repeat(64),
  description: undefined,
  method: 'weightedSum',
  components: [component('a'), component('b')],
  intercept: 0,
  scorecard: undefined,
  topReasons: 4,
  higherIsBetter: false,
  ...overrides,
});

describe('combiner', () => {
  it('weightedSum: intercept + Σ w·x, contributions measured from the references', () => {
    const out = combineValues(version({ intercept: 1, components: [component('a', { weight: 2, reference: 1 }), component('b', { weight: -1 })] }), [3, 4]);
    expect(out.value).toBe(1 + 2 * 3 - 4);
    expect(out.contributions).toEqual([
      { component: 'a', value: 3, weight: 2, contribution: 4 },
      { component: 'b', value: 4, weight: -1, contribution: -4 },
    ]);
    // Higher is worse here: the component that raised the value most is the first reason.
    expect(out.reasons).toEqual([{ code: 'A', description: null, component: 'a', contribution: 4 }]);
  });

  it('logistic: sigmoid of the weighted sum, with the logit', () => {
    const out = combineValues(version({ method: 'logistic', intercept: -1 }), [0.5, 0.5]);
    expect(out.logit).toBe(0);
    expect(out.value).toBe(0.5);
  });

  it('mean, min and max', () => {
    expect(combineValues(version({ method: 'mean', components: [component('a', { weight: 1 }), component('b', { weight: 3 })] }), [2, 6]).value).toBe((2 + 18) / 4);
    expect(combineValues(version({ method: 'min' }), [2, 6]).value).toBe(2);
    expect(combineValues(version({ method: 'max' }), [2, 6]).value).toBe(6);
  });

  it('scorecard: offset + factor·ln(odds), factor = PDO/ln 2, offset = base − factor·ln(baseOdds); points per component', () => {
    const card = { baseScore: 600, baseOdds: 50, pointsToDoubleOdds: 20, min: 300, max: 850, round: false };
    const components = [component('risk', { transform: 'negLogit', reference: 0.1 }), component('util', { weight: -1, reference: 0.3 })];
    const v = version({ method: 'scorecard', scorecard: card, components, intercept: 0.5, higherIsBetter: true });
    const p = 0.2;
    const util = 0.8;
    const out = combineValues(v, [p, util]);
    const factor = 20 / Math.LN2;
    const offset = 600 - factor * Math.log(50);
    const z = 0.5 + Math.log((1 - p) / p) - util;
    expect(out.logOdds).toBeCloseTo(z, 12);
    expect(out.value).toBeCloseTo(offset + factor * z, 9);
    expect(out.probability).toBeCloseTo(1 / (1 + Math.exp(-z)), 12);
    const riskPoints = factor * (Math.log(0.8 / 0.2) - Math.log(0.9 / 0.1));
    const utilPoints = factor * -(0.8 - 0.3);
    expect(out.contributions).toEqual([
      { component: 'risk', value: p, weight: 1, contribution: expect.closeTo(riskPoints, 9) as unknown as number },
      { component: 'util', value: util, weight: -1, contribution: expect.closeTo(utilPoints, 9) as unknown as number },
    ]);
    // Both lost points; the larger loss is the first reason.
    expect((out.reasons as unknown as { code: string }[]).map((r) => r.code)).toEqual(riskPoints < utilPoints ? ['RISK', 'UTIL'] : ['UTIL', 'RISK']);
    // Doubling the odds adds exactly PDO points.
    const doubled = combineValues(v, [p / (2 - p), util]);
    expect((doubled.value as number) - (out.value as number)).toBeCloseTo(20, 6);
  });

  it('scorecard clamps to min/max and rounds by default', () => {
    const card = { baseScore: 600, baseOdds: 50, pointsToDoubleOdds: 20, min: 300, max: 850, round: true };
    const v = version({ method: 'scorecard', scorecard: card, components: [component('risk', { transform: 'negLogit' })], higherIsBetter: true });
    expect(combineValues(v, [1e-12]).value).toBe(850);
    expect(combineValues(v, [1 - 1e-12]).value).toBe(300);
    expect(Number.isInteger(combineValues(v, [0.3]).value)).toBe(true);
  });

  it('limits reason codes to the top N adverse components', () => {
    const v = version({ components: ['a', 'b', 'c'].map((n) => component(n)), topReasons: 2 });
    expect((combineValues(v, [1, 3, 2]).reasons as unknown as { code: string }[]).map((r) => r.code)).toEqual(['B', 'C']);
    expect(combineValues(v, [-1, -3, -2]).reasons).toEqual([]);
  });
});
