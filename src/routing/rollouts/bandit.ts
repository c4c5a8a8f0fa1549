import type { RoutingDef } from '../../definition/types.js';
import { BanditRoutingPolicy, FixedPolicy } from '../policy.js';
import { armProbabilities, banditPolicy, summaryMean, type ArmStats, type BanditPolicy } from '../statistics/index.js';
import { commonCommand, QUIET, type PolicyRuntime, type RuntimeContext } from './runtime.js';
import type { RolloutState } from './types.js';

type BanditDef = Extract<RoutingDef, { policy: 'bandit' }>;

/**
 * A multi-armed bandit over the node's versions, rewarded by outcomes. Arm statistics are the
 * outcomes counted in the state store for the bandit's scope (so every process learns from every
 * outcome); this process adds its own at once and re-reads the store on refresh. Rewards where
 * lower is better are mirrored (1 − r for binary, −r for continuous) so that higher is always
 * better inside. A paused bandit exploits: everyone gets the best arm so far.
 */
export function banditRuntime(context: RuntimeContext): PolicyRuntime {
  const def = context.def.routing as BanditDef;
  const settings: BanditPolicy = banditPolicy(
    def.algorithm === 'thompson'
      ? def.reward.kind === 'binary'
        ? { kind: 'thompson-bernoulli', floor: def.floor }
        : { kind: 'thompson-gaussian', floor: def.floor }
      : def.algorithm === 'ucb1'
        ? { kind: 'ucb1', floor: def.floor }
        : { kind: 'epsilon-greedy', floor: def.floor, epsilon: def.epsilon },
  );
  const arms: { count: number; sum: number; sumSquares: number }[] = context.versions.map(() => ({ count: 0, sum: 0, sumSquares: 0 }));
  const reward = (value: number) => (def.reward.better === 'higher' ? value : def.reward.kind === 'binary' ? 1 - value : -value);
  const add = (index: number, value: number) => {
    const arm = arms[index];
    if (!arm) return;
    const r = reward(value);
    arm.count++;
    arm.sum += r;
    arm.sumSquares += r * r;
  };
  const traffic = () => armProbabilities(settings, arms as readonly ArmStats[], context.random, 2000);
  const best = () => {
    let chosen = 0;
    arms.forEach((arm, i) => {
      if (arm.count > 0 && (arms[chosen]?.count === 0 || summaryMean(arm) > summaryMean(arms[chosen] as ArmStats))) chosen = i;
    });
    return chosen;
  };
  let policyScope = '';
  let policy: BanditRoutingPolicy | undefined;
  return {
    ...QUIET,
    initial: (scope) => ({ status: 'running', scope }),
    policy(state: RolloutState) {
      if (state.status === 'paused') return new FixedPolicy(context.versions, best(), { label: 'exploit', variant: 'arm' });
      if (!policy || policyScope !== state.scope) {
        policyScope = state.scope;
        policy = new BanditRoutingPolicy(context.versions, arms, settings, context.random, state.scope, traffic);
      }
      return policy;
    },
    command: (state, command) =>
      commonCommand(context, state, command, { home: context.versions[0] as string, promoteTo: context.versions[best()], pausable: true }),
    outcome(version, value) {
      add(context.versions.indexOf(version), value);
    },
    async refresh(state) {
      const stored = await context.store.armStats({ pipeline: context.pipeline, node: context.def.id }, state.scope);
      arms.forEach((arm, i) => {
        const record = stored.find((s) => s.version === context.versions[i]);
        const raw = record?.outcomes ?? { count: 0, sum: 0, sumSquares: 0 };
        // The store keeps raw outcomes; mirror them as `reward` does.
        const mirrored = def.reward.better === 'higher' ? raw : def.reward.kind === 'binary' ? { count: raw.count, sum: raw.count - raw.sum, sumSquares: raw.count - raw.sum } : { count: raw.count, sum: -raw.sum, sumSquares: raw.sumSquares };
        Object.assign(arm, mirrored);
      });
    },
    async report() {
      return {};
    },
  };
}
