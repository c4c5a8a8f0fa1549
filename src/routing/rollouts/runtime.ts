import { didYouMean, ErrorCode, TesseraError } from '../../errors/index.js';
import type { NodeDef } from '../../definition/types.js';
import type { StateStore } from '../../state/index.js';
import { FixedPolicy, type RoutingPolicy } from '../policy.js';
import type { Random } from '../statistics/index.js';
import type { Observation, RolloutCommand, RolloutState, RolloutView, ShadowRun, Transition } from './types.js';

/** A clock in milliseconds since the epoch (fractions allowed); injectable for tests. */
export interface Clock {
  now(): number;
}

/** What every policy runtime gets. */
export interface RuntimeContext {
  readonly pipeline: string;
  readonly def: NodeDef;
  readonly versions: readonly string[];
  readonly store: StateStore;
  readonly random: Random;
  readonly clock: Clock;
}

/**
 * One rollout policy at run time: builds the routing policy for a durable state, answers commands,
 * and, where the policy analyses, watches executions and proposes transitions. The durable state
 * lives outside (the rollout controller saves it); runtimes keep only what can be rebuilt.
 */
export interface PolicyRuntime {
  /** The state a fresh declaration starts in. */
  initial(scope: string, now: number): RolloutState;
  /** The routing policy while running or paused (ended rollouts are fixed on their override). */
  policy(state: RolloutState): RoutingPolicy;
  command(state: RolloutState, command: RolloutCommand, context: { readonly scope: string; readonly now: number }): Transition;
  readonly observes: boolean;
  observe(observation: Observation, state: RolloutState): void;
  shadow(run: ShadowRun, primary: Observation, state: RolloutState): void;
  /** A transition the analysis wants (advance, promote, roll back), or undefined. */
  analyze(state: RolloutState, now: number): Promise<Transition | undefined>;
  /** The policy-specific part of the view. */
  report(state: RolloutState): Promise<Partial<RolloutView>>;
  /** An outcome was counted for one of this node's versions (bandits learn at once). */
  outcome(version: string, value: number): void;
  /** Re-reads what other processes may have changed (bandit statistics). */
  refresh(state: RolloutState): Promise<void>;
}

/** Defaults for runtimes that do not observe, shadow, analyse or learn. */
export const QUIET: Pick<PolicyRuntime, 'observes' | 'observe' | 'shadow' | 'analyze' | 'outcome' | 'refresh'> = {
  observes: false,
  observe: () => {},
  shadow: () => {},
  analyze: async () => undefined,
  outcome: () => {},
  refresh: async () => {},
};

/** The fixed policy of a rollout that ended (or of a fixed node switched by an operator). */
export function overridePolicy(versions: readonly string[], state: RolloutState): RoutingPolicy | undefined {
  if (state.override === undefined) return undefined;
  const label = state.status === 'promoted' ? 'promoted' : state.status === 'rolled_back' ? 'rolled_back' : 'fixed';
  return new FixedPolicy(versions, Math.max(0, versions.indexOf(state.override)), { label });
}

/** A command the policy cannot carry out, with the reason: FAILED_PRECONDITION for clients. */
export function refuse(message: string): never {
  throw new TesseraError(ErrorCode.FailedPrecondition, message);
}

/** The version a command names, checked against the declared ones. */
export function versionArgument(context: RuntimeContext, version: string | undefined, fallback: string | undefined, command: string): string {
  const chosen = version ?? fallback;
  if (chosen === undefined) refuse(`${command} needs a version for node "${context.def.id}": one of ${context.versions.join(', ')}.`);
  if (!context.versions.includes(chosen)) {
    throw new TesseraError(
      ErrorCode.BadUserInput,
      `Node "${context.def.id}" has no version "${chosen}". Versions: ${context.versions.join(', ')}.${didYouMean(chosen, context.versions)}`,
      { field: 'version', rule: 'unknown' },
    );
  }
  return chosen;
}

/**
 * The commands every policy shares: promote to a version, roll back to the home version, pause
 * and resume. `setSplit` belongs to splits and is refused here.
 */
export function commonCommand(
  context: RuntimeContext,
  state: RolloutState,
  command: RolloutCommand,
  options: { readonly home: string; readonly promoteTo: string | undefined; readonly pausable: boolean },
): Transition {
  const ended = state.status === 'promoted' || state.status === 'rolled_back';
  switch (command.kind) {
    case 'promote': {
      const version = versionArgument(context, command.version, options.promoteTo, 'promote');
      return { state: { ...state, status: 'promoted', override: version }, kind: 'promoted', reason: `Promoted ${version}.`, data: { version } };
    }
    case 'rollback':
      return { state: { ...state, status: 'rolled_back', override: options.home }, kind: 'rolled_back', reason: `Rolled back to ${options.home}.`, data: { version: options.home } };
    case 'pause':
      if (!options.pausable) refuse(`A ${context.def.routing.policy} policy has nothing to pause.`);
      if (ended) refuse(`The rollout of "${context.def.id}" has ended (${state.status}); there is nothing to pause.`);
      if (state.status === 'paused') refuse(`The rollout of "${context.def.id}" is already paused.`);
      return { state: { ...state, status: 'paused' }, kind: 'paused', reason: 'Paused.', data: {} };
    case 'resume':
      if (state.status !== 'paused') refuse(`The rollout of "${context.def.id}" is ${state.status.replace('_', ' ')}, not paused; only a paused rollout resumes.`);
      return { state: { ...state, status: 'running' }, kind: 'resumed', reason: 'Resumed.', data: {} };
    case 'setSplit':
      return refuse(`setSplit applies to split policies; node "${context.def.id}" uses ${context.def.routing.policy}.`);
  }
}
