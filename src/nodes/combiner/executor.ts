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
      return combineValues(version, readers.map((read) => toNumber(read(scope))));
    },
  };
}

/** The combiner's arithmetic, for one row of component values (exported for tests). */
export function combineValues(version: CombinerVersionDef, values: readonly number[]): NodeOutputs {
  const { components, method } = version;
  const transformed = components.map((c, i) => transform(c.transform, values[i] as number));
  const baseline = components.map((c) => transform(c.transform, c.reference));
  let raw = components.map((c, i) => c.weight * ((transformed[i] as number) - (baseline[i] as number)));
  const weightedAt = (i: number) => (components[i] as ComponentDef).weight * (transformed[i] as number);
  const z = version.intercept + components.reduce((sum, _c, i) => sum + weightedAt(i), 0);
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
      const totalWeight = components.reduce((sum, c) => sum + c.weight, 0);
      outputs.value = (z - version.intercept) / totalWeight;
      raw = raw.map((r) => r / totalWeight);
      break;
    }
    case 'min':
    case 'max': {
      const weighted = components.map((_c, i) => weightedAt(i));
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
      raw = raw.map((r) => r * factor);
      break;
    }
  }
  const contributions: Contribution[] = components.map((c, i) => ({
    component: c.name,
    value: values[i] as number,
    weight: c.weight,
    contribution: raw[i] as number,
  }));
  outputs.contributions = contributions;
  outputs.reasons = reasonCodes(version, contributions);
  return outputs;
}

function reasonCodes(version: CombinerVersionDef, contributions: readonly Contribution[]): ReasonCode[] {
  const sign = version.higherIsBetter ? -1 : 1;
  return contributions
    .map((c, i) => ({ c, i, adverse: sign * c.contribution }))
    .filter((entry) => entry.adverse > 0)
    .sort((a, b) => b.adverse - a.adverse || a.i - b.i)
    .slice(0, version.topReasons)
    .map(({ c, i }) => {
      const component = version.components[i] as ComponentDef;
      return { code: component.reasonCode, description: component.reasonDescription ?? null, component: c.component, contribution: c.contribution };
    });
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
