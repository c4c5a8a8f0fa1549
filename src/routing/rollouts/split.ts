import { didYouMean, ErrorCode, TesseraError } from '../../errors/index.js';
import { MAX_SPLIT_WEIGHT } from '../../definition/format.js';
import type { RoutingDef } from '../../definition/types.js';
import { FixedPolicy, IntervalPolicy } from '../policy.js';
import {
  liftInterval,
  meanInterval,
  MsprtTracker,
  sampleRatioMismatch,
  summaryMean,
  wilsonInterval,
  type SampleSummary,
} from '../statistics/index.js';
import { commonCommand, QUIET, type PolicyRuntime, type RuntimeContext } from './runtime.js';
import type { ArmReadout, ExperimentReadout, RolloutState } from './types.js';

type SplitDef = Extract<RoutingDef, { policy: 'split' }>;

/**
 * A/B/n experiment: sticky weighted split, and a readout per arm from the outcomes counted in the
 * state store. A paused experiment sends everyone to the control version.
 */
export function splitRuntime(context: RuntimeContext): PolicyRuntime {
  const def = context.def.routing as SplitDef;
  const controlIndex = Math.max(0, context.versions.indexOf(def.control));
  const declaredWeights = Object.fromEntries(def.weights.map((w) => [w.version, w.weight]));
  const weightsOf = (state: RolloutState) => context.versions.map((v) => state.weights?.[v] ?? 0);
  // One tracker per scope and arm: τ² is fixed at the first informative look and the p-value is the
  // running minimum over every readout, as the always-valid guarantee needs.
  const trackers = new Map<string, MsprtTracker>();
  const tracker = (scope: string, version: string) => {
    let found = trackers.get(`${scope}\u0000${version}`);
    if (!found) trackers.set(`${scope}\u0000${version}`, (found = new MsprtTracker({ outcome: def.outcome?.kind === 'binary' ? 'bernoulli' : 'continuous', alpha: def.alpha })));
    return found;
  };
  return {
    ...QUIET,
    initial: (scope) => ({ status: 'running', scope, weights: declaredWeights }),
    policy(state) {
      if (state.status === 'paused') return new FixedPolicy(context.versions, controlIndex, { label: 'paused', variant: 'control' });
      return IntervalPolicy.split(context.versions, weightsOf(state), def.salt, { control: controlIndex, scope: state.scope });
    },
    command(state, command, { scope }) {
      if (command.kind !== 'setSplit') return commonCommand(context, state, command, { home: def.control, promoteTo: undefined, pausable: true });
      const weights: Record<string, number> = {};
      for (const [version, weight] of Object.entries(command.weights)) {
        if (!context.versions.includes(version)) {
          throw new TesseraError(ErrorCode.BadUserInput, `Node "${context.def.id}" has no version "${version}". Versions: ${context.versions.join(', ')}.${didYouMean(version, context.versions)}`, { field: 'weights', rule: 'unknown' });
        }
        if (!Number.isFinite(weight) || weight < 0 || weight > MAX_SPLIT_WEIGHT) {
          throw new TesseraError(ErrorCode.BadUserInput, `The weight of "${version}" must be a number from 0 to ${MAX_SPLIT_WEIGHT}; got ${weight}.`, {
            field: 'weights',
            rule: weight > MAX_SPLIT_WEIGHT ? 'max' : 'min',
          });
        }
        weights[version] = weight;
      }
      if (!Object.values(weights).some((w) => w > 0)) {
        throw new TesseraError(ErrorCode.BadUserInput, 'A split needs at least one version with a weight above 0.', { field: 'weights', rule: 'min' });
      }
      const { override: _override, ...rest } = state;
      return {
        // New weights start a new experiment: counts made under other shares would fail the SRM check.
        state: { ...rest, status: 'running', scope, weights },
        kind: 'split_set',
        reason: `Split set to ${Object.entries(weights).map(([v, w]) => `${v}=${w}`).join(', ')}; a new experiment scope begins.`,
        data: { weights, scope },
      };
    },
    async report(state) {
      return { experiment: await readout(context, def, state, weightsOf(state), tracker) };
    },
  };
}

/** The experiment readout of the current scope. */
export async function readout(
  context: RuntimeContext,
  def: SplitDef,
  state: RolloutState,
  weights: readonly number[],
  tracker: (scope: string, version: string) => MsprtTracker,
): Promise<ExperimentReadout> {
  const arms = await context.store.armStats({ pipeline: context.pipeline, node: context.def.id }, state.scope);
  const byVersion = new Map(arms.map((arm) => [arm.version, arm]));
  const summaries: SampleSummary[] = context.versions.map((v) => byVersion.get(v)?.outcomes ?? { count: 0, sum: 0, sumSquares: 0 });
  const assignments = context.versions.map((v) => byVersion.get(v)?.assignments ?? 0);
  const controlIndex = Math.max(0, context.versions.indexOf(def.control));
  const control = summaries[controlIndex] as SampleSummary;
  const binary = def.outcome?.kind === 'binary';
  const total = weights.reduce((a, b) => a + b, 0);
  const active = context.versions.flatMap((_, i) => ((weights[i] ?? 0) > 0 ? [i] : []));
  const srm = active.length >= 2
    ? sampleRatioMismatch(active.map((i) => assignments[i] as number), active.map((i) => weights[i] as number))
    : { statistic: 0, pValue: 1, mismatch: false };
  const readouts: ArmReadout[] = context.versions.map((version, i) => {
    const summary = summaries[i] as SampleSummary;
    const mean = summary.count > 0 ? summaryMean(summary) : null;
    const interval = summary.count === 0 ? null : binary ? wilsonInterval(summary.sum, summary.count) : summary.count > 1 ? meanInterval(summary) : null;
    const lift = i === controlIndex ? undefined : liftInterval(control, summary);
    const test = i === controlIndex || summary.count < 2 || control.count < 2 ? undefined : tracker(state.scope, version).look(control, summary);
    return {
      version,
      control: i === controlIndex,
      share: total > 0 ? (weights[i] ?? 0) / total : 0,
      assignments: assignments[i] as number,
      outcomes: summary.count,
      mean,
      interval: interval ? { lower: interval.lower, upper: interval.upper } : null,
      lift: lift ? { estimate: lift.estimate, lower: lift.lower, upper: lift.upper } : null,
      pValue: test ? test.alwaysValidPValue : null,
    };
  });
  return {
    scope: state.scope,
    outcome: def.outcome ? `${def.outcome.kind}, ${def.outcome.better} is better` : 'not declared',
    arms: readouts,
    srm: { pValue: srm.pValue, statistic: srm.statistic, mismatch: srm.mismatch },
    recommendation: recommend(def, readouts, srm.mismatch),
  };
}

function recommend(def: SplitDef, arms: readonly ArmReadout[], mismatch: boolean): string {
  if (mismatch) return 'Stop and investigate: the assignment counts do not match the configured split (sample ratio mismatch), so no comparison can be trusted.';
  const control = arms.find((a) => a.control);
  const significant = arms.filter((a) => !a.control && a.pValue !== null && a.pValue < def.alpha && a.mean !== null && control?.mean !== null);
  if (!def.outcome) return 'Declare `outcome` in the split to get a recommendation.';
  if (significant.length === 0) {
    const n = arms.reduce((sum, a) => sum + a.outcomes, 0);
    return `Keep running: no version differs from ${control?.version} at α = ${def.alpha} yet (${n} outcomes).`;
  }
  const sign = def.outcome.better === 'higher' ? 1 : -1;
  const better = significant.filter((a) => sign * ((a.mean as number) - (control?.mean as number)) > 0).sort((a, b) => sign * ((b.mean as number) - (a.mean as number)));
  if (better.length > 0) {
    const best = better[0] as ArmReadout;
    return `Ship ${best.version}: its outcome is ${def.outcome.better} than ${control?.version}'s (${format(best.mean)} vs ${format(control?.mean ?? null)}, always-valid p = ${format(best.pValue)}).`;
  }
  return `Keep ${control?.version}: ${significant.map((a) => a.version).join(', ')} ${significant.length === 1 ? 'is' : 'are'} worse (always-valid p < ${def.alpha}).`;
}

function format(value: number | null): string {
  return value === null ? 'n/a' : value.toPrecision(3);
}
