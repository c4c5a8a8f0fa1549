import type { RoutingDef } from '../../definition/types.js';
import { IntervalPolicy } from '../policy.js';
import {
  kolmogorovSmirnovTest,
  MsprtTracker,
  populationStabilityIndex,
  proportionSummary,
  summaryMean,
  type SampleSummary,
} from '../statistics/index.js';
import { commonCommand, type PolicyRuntime, type RuntimeContext } from './runtime.js';
import type { GateValue, Observation, RolloutState, Transition } from './types.js';
import { VersionWindow } from './window.js';

type CanaryDef = Extract<RoutingDef, { policy: 'canary' }>;

/** Samples kept per version and window, for p99 latency and the drift tests. */
const WINDOW_CAPACITY = 4000;

/**
 * A canary: the candidate gets the share of its current step (sticky, monotone), and the analysis
 * decides at every tick.
 *
 * - At any time, roll back if the always-valid mSPRT shows the candidate's error rate, or its
 *   outcome, worse than the stable version's (cumulative over the canary, so one test runs
 *   throughout and its guarantee holds however often it looks).
 * - When a step has its minimum samples (and outcomes) and time, compare the step's window: p99
 *   latency ratio, and drift of the candidate's output against the stable version's (PSI with a
 *   sample-size-aware critical value, and KS). Any failure rolls back; otherwise advance, and
 *   reaching 100% promotes.
 *
 * Windows and trackers are in memory: after a restart the current step's window starts again
 * (the step itself is durable).
 */
export function canaryRuntime(context: RuntimeContext): PolicyRuntime {
  const def = context.def.routing as CanaryDef;
  const stable = context.versions.indexOf(def.stable);
  const candidate = context.versions.indexOf(def.candidate);
  let windowKey = '';
  let windows = new Map<number, VersionWindow>();
  let analysis: { scope: string; errors: { stable: number[]; candidate: number[] }; errorTracker: MsprtTracker; outcomeTracker: MsprtTracker } | undefined;
  let gates: GateValue[] = [];

  const window = (state: RolloutState, version: number): VersionWindow => {
    const key = `${state.scope}/${state.step ?? 0}`;
    if (key !== windowKey) {
      windowKey = key;
      windows = new Map();
    }
    let found = windows.get(version);
    if (!found) windows.set(version, (found = new VersionWindow(WINDOW_CAPACITY, context.random)));
    return found;
  };
  const cumulative = (state: RolloutState) => {
    if (analysis?.scope !== state.scope) {
      analysis = {
        scope: state.scope,
        errors: { stable: [0, 0], candidate: [0, 0] },
        errorTracker: new MsprtTracker({ outcome: 'bernoulli', alpha: def.gates.errorRate?.alpha ?? 0.001 }),
        outcomeTracker: new MsprtTracker({ outcome: def.gates.outcome?.kind === 'binary' ? 'bernoulli' : 'continuous', alpha: def.gates.outcome?.alpha ?? 0.001 }),
      };
    }
    return analysis;
  };
  const share = (state: RolloutState) => def.steps[Math.min(state.step ?? 0, def.steps.length - 1)] as number;

  return {
    initial: (scope, now) => ({ status: 'running', scope, step: 0, stepStartedAt: now }),
    policy: (state) => IntervalPolicy.canary(context.versions, stable, candidate, share(state), def.salt, state.status === 'running' ? state.scope : undefined),
    command: (state, command) => commonCommand(context, state, command, { home: def.stable, promoteTo: def.candidate, pausable: true }),
    observes: true,
    observe(observation: Observation, state) {
      if (state.status !== 'running' || (observation.version !== stable && observation.version !== candidate)) return;
      const w = window(state, observation.version);
      w.requests++;
      const counts = cumulative(state).errors[observation.version === candidate ? 'candidate' : 'stable'];
      counts[0] = (counts[0] as number) + 1;
      if (observation.failed) {
        w.errors++;
        counts[1] = (counts[1] as number) + 1;
        return;
      }
      w.latency.add(observation.durationMs);
      const output = def.gates.drift ? observation.outputs?.[def.gates.drift.output] : undefined;
      if (typeof output === 'number') w.outputs.add(output);
    },
    shadow: () => {},
    async analyze(state, now) {
      if (state.status !== 'running') return undefined;
      const totals = cumulative(state);
      const values: GateValue[] = [];
      const rollback = (gate: string, reason: string): Transition => ({
        state: { ...state, status: 'rolled_back', override: def.stable },
        kind: 'rolled_back',
        reason: `Rolled back at ${percent(share(state))}: ${reason}`,
        data: { gate, step: state.step ?? 0, share: share(state), gates: values },
      });

      if (def.gates.errorRate) {
        const [stableN, stableErrors] = totals.errors.stable as [number, number];
        const [candidateN, candidateErrors] = totals.errors.candidate as [number, number];
        const look = stableN > 1 && candidateN > 1 ? totals.errorTracker.look(proportionSummary(stableErrors, stableN), proportionSummary(candidateErrors, candidateN)) : undefined;
        const increase = candidateN > 0 && stableN > 0 ? candidateErrors / candidateN - stableErrors / stableN : null;
        const failed = look !== undefined && look.reject && increase !== null && increase > def.gates.errorRate.maxIncrease;
        values.push({
          gate: 'errorRate',
          status: look === undefined ? 'waiting' : failed ? 'failed' : 'passed',
          value: increase,
          threshold: def.gates.errorRate.maxIncrease,
          detail: `error rate stable ${rate(stableErrors, stableN)}, candidate ${rate(candidateErrors, candidateN)}; always-valid p = ${totals.errorTracker.alwaysValidPValue.toPrecision(3)}`,
        });
        if (failed) return rollback('errorRate', `the candidate's error rate is higher by ${(100 * (increase as number)).toFixed(2)} points (always-valid p = ${look.alwaysValidPValue.toPrecision(3)}).`);
      }

      let candidateOutcomes = 0;
      if (def.gates.outcome) {
        const gate = def.gates.outcome;
        const arms = await context.store.armStats({ pipeline: context.pipeline, node: context.def.id }, state.scope);
        const summaryOf = (version: string): SampleSummary => arms.find((a) => a.version === version)?.outcomes ?? { count: 0, sum: 0, sumSquares: 0 };
        const s = summaryOf(def.stable);
        const c = summaryOf(def.candidate);
        candidateOutcomes = c.count;
        const look = s.count > 1 && c.count > 1 ? totals.outcomeTracker.look(s, c) : undefined;
        const worse = look !== undefined && (gate.better === 'higher' ? look.difference < 0 : look.difference > 0);
        const failed = look !== undefined && look.reject && worse;
        values.push({
          gate: 'outcome',
          status: look === undefined ? 'waiting' : failed ? 'failed' : 'passed',
          value: look?.difference ?? null,
          threshold: gate.alpha,
          detail: `mean outcome stable ${mean(s)} (n=${s.count}), candidate ${mean(c)} (n=${c.count}); always-valid p = ${totals.outcomeTracker.alwaysValidPValue.toPrecision(3)}; ${gate.better} is better`,
        });
        if (failed) return rollback('outcome', `the candidate's outcome is worse (${mean(c)} vs ${mean(s)}, always-valid p = ${look.alwaysValidPValue.toPrecision(3)}).`);
      }

      const w = { stable: window(state, stable), candidate: window(state, candidate) };
      const stepIndex = state.step ?? 0;
      const enoughSamples = w.candidate.requests >= def.minSamples;
      const enoughTime = now - (state.stepStartedAt ?? now) >= def.minDurationMs;
      const enoughOutcomes = !def.gates.outcome || candidateOutcomes >= def.gates.outcome.minSamples * (stepIndex + 1);
      if (!enoughSamples || !enoughTime || !enoughOutcomes) {
        values.push({
          gate: 'step',
          status: 'waiting',
          value: w.candidate.requests,
          threshold: def.minSamples,
          detail: `step ${stepIndex + 1} of ${def.steps.length} at ${percent(share(state))}: ${w.candidate.requests}/${def.minSamples} candidate requests, ${Math.round((now - (state.stepStartedAt ?? now)) / 1000)}/${def.minDurationMs / 1000} s${def.gates.outcome ? `, ${candidateOutcomes}/${def.gates.outcome.minSamples * (stepIndex + 1)} outcomes` : ''}`,
        });
        gates = values;
        return undefined;
      }

      if (def.gates.latency) {
        const p99Stable = w.stable.latency.quantile(0.99);
        const p99Candidate = w.candidate.latency.quantile(0.99);
        const ratio = p99Stable !== null && p99Candidate !== null && p99Stable > 0 ? p99Candidate / p99Stable : null;
        const failed = ratio !== null && ratio > def.gates.latency.maxP99Ratio;
        values.push({
          gate: 'latency',
          status: ratio === null ? 'waiting' : failed ? 'failed' : 'passed',
          value: ratio,
          threshold: def.gates.latency.maxP99Ratio,
          detail: `p99 stable ${ms(p99Stable)}, candidate ${ms(p99Candidate)}`,
        });
        if (failed) return rollback('latency', `the candidate's p99 latency is ${(ratio as number).toFixed(2)}× the stable version's (limit ${def.gates.latency.maxP99Ratio}×).`);
      }

      if (def.gates.drift && w.stable.outputs.size >= 50 && w.candidate.outputs.size >= 50) {
        const gate = def.gates.drift;
        const psi = populationStabilityIndex(w.stable.outputs.values, w.candidate.outputs.values, { alpha: gate.alpha });
        const ks = kolmogorovSmirnovTest(w.stable.outputs.values, w.candidate.outputs.values);
        const psiFailed = psi.psi > Math.max(psi.criticalValue, gate.minPsi);
        const ksFailed = ks.pValue < gate.alpha && ks.statistic > gate.minKs;
        values.push({
          gate: 'psi',
          status: psiFailed ? 'failed' : 'passed',
          value: psi.psi,
          threshold: Math.max(psi.criticalValue, gate.minPsi),
          detail: `PSI of "${gate.output}" ${psi.psi.toFixed(4)}; critical value ${psi.criticalValue.toFixed(4)} at α = ${gate.alpha} for n = ${w.stable.outputs.size}, m = ${w.candidate.outputs.size}`,
        });
        values.push({
          gate: 'ks',
          status: ksFailed ? 'failed' : 'passed',
          value: ks.statistic,
          threshold: gate.minKs,
          detail: `KS distance ${ks.statistic.toFixed(4)}, p = ${ks.pValue.toPrecision(3)}`,
        });
        if (psiFailed) return rollback('psi', `the candidate's "${gate.output}" drifted from the stable version's (PSI ${psi.psi.toFixed(3)} > ${Math.max(psi.criticalValue, gate.minPsi).toFixed(3)}).`);
        if (ksFailed) return rollback('ks', `the candidate's "${gate.output}" differs in distribution (KS ${ks.statistic.toFixed(3)}, p = ${ks.pValue.toPrecision(3)}).`);
      }

      gates = values;
      const next = stepIndex + 1;
      const nextShare = def.steps[next];
      if (nextShare === undefined || nextShare >= 1) {
        return {
          state: { ...state, status: 'promoted', override: def.candidate },
          kind: 'promoted',
          reason: `Promoted ${def.candidate}: every gate passed at each step up to ${percent(share(state))}.`,
          data: { step: stepIndex, gates: values },
        };
      }
      return {
        state: { ...state, step: next, stepStartedAt: now },
        kind: 'advanced',
        reason: `Advanced to ${percent(nextShare)}: the step at ${percent(share(state))} passed every gate.`,
        data: { step: next, share: nextShare, gates: values },
      };
    },
    async report(state) {
      return {
        stable: def.stable,
        candidate: def.candidate,
        step: state.step ?? 0,
        stepShare: state.status === 'running' || state.status === 'paused' ? share(state) : null,
        gates,
      };
    },
    outcome: () => {},
    refresh: async () => {},
  };
}

function percent(share: number): string {
  return `${Math.round(share * 10000) / 100}%`;
}

function rate(errors: number, n: number): string {
  return n === 0 ? 'n/a' : `${((100 * errors) / n).toFixed(2)}% (n=${n})`;
}

function mean(summary: SampleSummary): string {
  return summary.count === 0 ? 'n/a' : summaryMean(summary).toPrecision(4);
}

function ms(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(3)} ms`;
}
