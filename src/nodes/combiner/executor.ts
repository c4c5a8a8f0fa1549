import type { CombinerNodeDef, CombinerVersionDef, ComponentDef, Contribution, ReasonCode, Value } from '../../definition/types.js';
import type { ComponentTransform } from '../../definition/format.js';
import type { ExecutorContext, NodeExecutor, NodeOutputs, ValueReader } from '../types.js';

/** Probabilities are clipped this far from 0 and 1 before logit transforms, so that they stay finite. */
const EPSILON = 1e-9;

/**
 * Combines component values. Each component contributes `weight × (t(value) − t(reference))`, so
 * the result is `intercept + Σ weight × t(reference)` plus the contributions; the components with
 * the most adverse contributions become the reason codes.
 */
export function createCombinerExecutor(node: CombinerNodeDef, context: ExecutorContext): NodeExecutor {
  const versions = node.versions.map((version) => ({ version, readers: version.components.map((c) => context.reader(c.ref)) }));
  return {
    execute(index, scope) {
      const { version, readers } = versions[index] as { version: CombinerVersionDef; readers: ValueReader[] };
      const values = new Array<number>(readers.length);
      for (let i = 0; i < readers.length; i++) values[i] = toNumber((readers[i] as ValueReader)(scope));
      return combineValues(version, values);
    },
  };
}

/**
 * The combiner's arithmetic, for one row of component values (exported for tests). It runs for
 * every row: loops over the components, the references' transforms computed once per version.
 */
export function combineValues(version: CombinerVersionDef, values: readonly number[]): NodeOutputs {
  const { components, method } = version;
  const n = components.length;
  const baseline = baselineOf(version);
  const transformed = new Array<number>(n);
  const raw = new Array<number>(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const component = components[i] as ComponentDef;
    const t = transform(component.transform, values[i] as number);
    transformed[i] = t;
    raw[i] = component.weight * (t - (baseline[i] as number));
    sum += component.weight * t;
  }
  const z = version.intercept + sum;
  const outputs: Record<string, Value> = {};
  switch (method) {
    case 'weightedSum':
      outputs.value = z;
      break;
    case 'logistic':
      outputs.logit = z;
      outputs.value = sigmoid(z);
      break;
    case 'mean': {
      let totalWeight = 0;
      for (const component of components) totalWeight += component.weight;
      outputs.value = (z - version.intercept) / totalWeight;
      for (let i = 0; i < n; i++) raw[i] = (raw[i] as number) / totalWeight;
      break;
    }
    case 'min':
    case 'max': {
      const weighted = components.map((c, i) => c.weight * (transformed[i] as number));
      outputs.value = method === 'min' ? Math.min(...weighted) : Math.max(...weighted);
      break;
    }
    case 'scorecard': {
      const card = version.scorecard as NonNullable<CombinerVersionDef['scorecard']>;
      const factor = card.pointsToDoubleOdds / Math.LN2;
      const offset = card.baseScore - factor * Math.log(card.baseOdds);
      let score = offset + factor * z;
      if (card.min !== undefined) score = Math.max(card.min, score);
      if (card.max !== undefined) score = Math.min(card.max, score);
      outputs.value = card.round ? Math.round(score) : score;
      outputs.logOdds = z;
      outputs.probability = sigmoid(z);
      for (let i = 0; i < n; i++) raw[i] = (raw[i] as number) * factor;
      break;
    }
  }
  const contributions = new Array<Contribution>(n);
  for (let i = 0; i < n; i++) {
    contributions[i] = { component: (components[i] as ComponentDef).name, value: values[i] as number, weight: (components[i] as ComponentDef).weight, contribution: raw[i] as number };
  }
  outputs.contributions = contributions;
  outputs.reasons = reasonCodes(version, contributions);
  return outputs;
}

const baselines = new WeakMap<CombinerVersionDef, readonly number[]>();

/** Each component's transformed reference, once per version. */
function baselineOf(version: CombinerVersionDef): readonly number[] {
  let baseline = baselines.get(version);
  if (!baseline) baselines.set(version, (baseline = version.components.map((c) => transform(c.transform, c.reference))));
  return baseline;
}

/** The most adverse contributions, most adverse first (ties in component order), as reason codes. */
function reasonCodes(version: CombinerVersionDef, contributions: readonly Contribution[]): ReasonCode[] {
  const sign = version.higherIsBetter ? -1 : 1;
  const adverse = (i: number) => sign * (contributions[i] as Contribution).contribution;
  const indices: number[] = [];
  for (let i = 0; i < contributions.length; i++) if (adverse(i) > 0) indices.push(i);
  indices.sort((a, b) => adverse(b) - adverse(a) || a - b);
  const reasons: ReasonCode[] = [];
  for (let k = 0; k < indices.length && k < version.topReasons; k++) {
    const i = indices[k] as number;
    const component = version.components[i] as ComponentDef;
    const c = contributions[i] as Contribution;
    reasons.push({ code: component.reasonCode, description: component.reasonDescription ?? null, component: c.component, contribution: c.contribution });
  }
  return reasons;
}

function transform(kind: ComponentTransform, x: number): number {
  switch (kind) {
    case 'identity':
      return x;
    case 'logit': {
      const p = clip(x);
      return Math.log(p / (1 - p));
    }
    case 'negLogit': {
      const p = clip(x);
      return Math.log((1 - p) / p);
    }
    case 'log':
      return Math.log(Math.max(x, EPSILON));
  }
}

function clip(p: number): number {
  return Math.min(1 - EPSILON, Math.max(EPSILON, p));
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function toNumber(value: Value): number {
  return typeof value === 'boolean' ? (value ? 1 : 0) : (value as number);
}
