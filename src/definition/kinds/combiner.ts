import type { CombinerNodeFile } from '../format.js';
import {
  CONTRIBUTIONS,
  FLOAT,
  REASONS,
  type CombinerNodeDef,
  type CombinerVersionDef,
  type ComponentDef,
  type OutputDef,
  type ScorecardDef,
} from '../types.js';
import { compileExecution, compileRouting, contentHash, describeType, isNumeric, readsOf, resolveRef, type CompileContext } from './context.js';

const DEFAULT_TOP_REASONS = 4;

/** Components must be numbers; versions override weights and the intercept. */
export function compileCombinerNode(context: CompileContext, id: string, node: CombinerNodeFile): CombinerNodeDef | undefined {
  const components: ComponentDef[] = [];
  let failed = false;
  for (const [name, component] of Object.entries(node.components)) {
    const path = ['nodes', id, 'components', name, 'value'];
    const resolved = resolveRef(context, `Node "${id}"`, component.value, path);
    if (!resolved) {
      failed = true;
      continue;
    }
    if (!isNumeric(resolved.type)) {
      context.report('types', path, `Component "${name}" of combiner "${id}" must be a number, but "${component.value}" is ${describeType(resolved.type)}.`);
      failed = true;
      continue;
    }
    components.push({
      name,
      ref: resolved.ref,
      weight: component.weight ?? 1,
      transform: component.transform ?? 'identity',
      reference: component.reference ?? 0,
      reasonCode: component.reason?.code ?? screamingSnake(name),
      reasonDescription: component.reason?.description,
    });
  }
  if (failed) return undefined;
  const scorecard: ScorecardDef | undefined = node.scorecard && {
    baseScore: node.scorecard.baseScore,
    baseOdds: node.scorecard.baseOdds,
    pointsToDoubleOdds: node.scorecard.pointsToDoubleOdds,
    min: node.scorecard.min,
    max: node.scorecard.max,
    round: node.scorecard.round ?? true,
  };
  const versionFiles = node.versions ?? { v1: {} };
  const versions: CombinerVersionDef[] = Object.entries(versionFiles).map(([name, version]) => {
    const weighted = components.map((c) => ({ ...c, weight: version.weights?.[c.name] ?? c.weight }));
    const params = {
      method: node.method,
      components: weighted,
      intercept: version.intercept ?? node.intercept ?? 0,
      scorecard,
      topReasons: node.reasons?.top ?? DEFAULT_TOP_REASONS,
      higherIsBetter: node.reasons?.higherIsBetter ?? node.method === 'scorecard',
    };
    return { name, sha256: contentHash({ kind: 'combiner', ...params }), description: version.description, ...params };
  });
  const outputs: OutputDef[] = [
    { name: 'value', type: FLOAT, description: node.method === 'scorecard' ? 'The score.' : 'The combined value.' },
    { name: 'contributions', type: CONTRIBUTIONS, description: 'Each component’s share of the value.' },
    { name: 'reasons', type: REASONS, description: 'The components that hurt the result most, as reason codes.' },
  ];
  if (node.method === 'logistic') outputs.push({ name: 'logit', type: FLOAT, description: 'The weighted sum before the sigmoid.' });
  if (node.method === 'scorecard') {
    outputs.push({ name: 'logOdds', type: FLOAT, description: 'Log-odds of the good outcome.' });
    outputs.push({ name: 'probability', type: FLOAT, description: 'Probability of the good outcome implied by the log-odds.' });
  }
  return {
    id,
    kind: 'combiner',
    description: node.description,
    ...readsOf(components.map((c) => c.ref)),
    outputs,
    versions,
    routing: compileRouting(context.pipeline, id, node.routing, versions.map((v) => v.name), outputs),
    execution: compileExecution(context, id, node, outputs, versions.map((v) => v.name)),
  };
}

function screamingSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}
