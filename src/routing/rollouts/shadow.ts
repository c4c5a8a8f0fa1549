import type { RoutingDef, Value } from '../../definition/types.js';
import { isPromise } from '../../execution/promiseOrValue.js';
import type { NodeOutputs } from '../../nodes/types.js';
import { FixedPolicy, ShadowPolicy } from '../policy.js';
import { kolmogorovSmirnovTest, populationStabilityIndex } from '../statistics/index.js';
import { commonCommand, QUIET, type PolicyRuntime, type RuntimeContext } from './runtime.js';
import { Reservoir } from './window.js';

type ShadowDef = Extract<RoutingDef, { policy: 'shadow' }>;

const CAPACITY = 4000;

/**
 * Shadow traffic: the primary answers; for mirrored units the shadow version runs afterwards, off
 * the critical path, and only its comparison is kept. A failing shadow is counted, never thrown; a
 * shadow over `maxConcurrent` in flight is skipped, so a slow shadow cannot pile up work.
 */
export function shadowRuntime(context: RuntimeContext): PolicyRuntime {
  const def = context.def.routing as ShadowDef;
  const primary = context.versions.indexOf(def.primary);
  const shadowVersion = context.versions.indexOf(def.shadow);
  const mirrored = new ShadowPolicy(context.versions, primary, shadowVersion, def.fraction, def.salt);
  const paused = new FixedPolicy(context.versions, primary, { label: 'paused', variant: 'primary' });
  const numeric = context.def.outputs.find((o) => o.type.kind === 'scalar' && (o.type.name === 'Float' || o.type.name === 'Int'))?.name;
  const stats = {
    mirrored: 0,
    compared: 0,
    agreed: 0,
    errors: 0,
    timeouts: 0,
    skipped: 0,
    inFlight: 0,
    primaryLatency: new Reservoir(CAPACITY, context.random),
    shadowLatency: new Reservoir(CAPACITY, context.random),
    primaryOutputs: new Reservoir(CAPACITY, context.random),
    shadowOutputs: new Reservoir(CAPACITY, context.random),
  };
  const finish = (started: number, primaryOutputs: NodeOutputs | undefined, outputs: NodeOutputs | undefined, failed: boolean) => {
    stats.inFlight--;
    const duration = context.clock.now() - started;
    if (duration > def.timeoutMs) stats.timeouts++;
    if (failed || !outputs || !primaryOutputs) {
      stats.errors += failed ? 1 : 0;
      return;
    }
    stats.shadowLatency.add(duration);
    stats.compared++;
    if (agree(primaryOutputs, outputs, def.tolerance)) stats.agreed++;
    if (numeric !== undefined) {
      const a = primaryOutputs[numeric];
      const b = outputs[numeric];
      if (typeof a === 'number' && typeof b === 'number') {
        stats.primaryOutputs.add(a);
        stats.shadowOutputs.add(b);
      }
    }
  };
  return {
    ...QUIET,
    initial: (scope) => ({ status: 'running', scope }),
    policy: (state) => (state.status === 'paused' ? paused : mirrored),
    command: (state, command) => commonCommand(context, state, command, { home: def.primary, promoteTo: def.shadow, pausable: true }),
    observes: true,
    observe(observation) {
      if (!observation.failed) stats.primaryLatency.add(observation.durationMs);
    },
    shadow(run, primaryObservation) {
      stats.mirrored++;
      if (stats.inFlight >= def.maxConcurrent) {
        stats.skipped++;
        return;
      }
      stats.inFlight++;
      // After the primary's answer is on its way: the shadow never delays the response.
      setImmediate(() => {
        const started = context.clock.now();
        try {
          const result = run.execute(shadowVersion);
          if (isPromise(result)) result.then((outputs) => finish(started, primaryObservation.outputs, outputs, false), () => finish(started, undefined, undefined, true));
          else finish(started, primaryObservation.outputs, result, false);
        } catch {
          finish(started, undefined, undefined, true);
        }
      });
    },
    async report() {
      const drift = stats.primaryOutputs.size >= 50 && stats.shadowOutputs.size >= 50;
      const psi = drift ? populationStabilityIndex(stats.primaryOutputs.values, stats.shadowOutputs.values) : undefined;
      const ks = drift ? kolmogorovSmirnovTest(stats.primaryOutputs.values, stats.shadowOutputs.values) : undefined;
      return {
        shadow: {
          mirrored: stats.mirrored,
          compared: stats.compared,
          agreement: stats.compared > 0 ? stats.agreed / stats.compared : null,
          errors: stats.errors,
          timeouts: stats.timeouts,
          skipped: stats.skipped,
          primaryP99Ms: stats.primaryLatency.quantile(0.99),
          shadowP99Ms: stats.shadowLatency.quantile(0.99),
          psi: psi?.psi ?? null,
          psiCritical: psi?.criticalValue ?? null,
          ksPValue: ks?.pValue ?? null,
        },
      };
    },
  };
}

/** Whether two output records agree: numbers within `tolerance`, everything else equal. */
export function agree(a: NodeOutputs, b: NodeOutputs, tolerance: number): boolean {
  for (const [name, value] of Object.entries(a)) {
    if (!same(value, b[name], tolerance)) return false;
  }
  return true;
}

function same(a: Value | undefined, b: Value | undefined, tolerance: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= tolerance;
  return JSON.stringify(a) === JSON.stringify(b);
}
