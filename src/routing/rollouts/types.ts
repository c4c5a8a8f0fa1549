import type { NodeDef } from '../../definition/types.js';
import type { NodeOutputs } from '../../nodes/types.js';
import type { RoutingPolicy } from '../policy.js';

/** Where a rollout is: running its policy, paused, or ended on one version. */
export const ROLLOUT_STATUSES = ['running', 'paused', 'promoted', 'rolled_back'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

/**
 * The durable state of a rollout (what the state store keeps). `override` names the version every
 * request gets once a rollout was promoted or rolled back (or a fixed node was switched).
 */
export interface RolloutState {
  readonly status: RolloutStatus;
  readonly scope: string;
  readonly override?: string;
  /** split: the current weights by version. */
  readonly weights?: Readonly<Record<string, number>>;
  /** canary: the index of the current step, and when it started (ms since epoch). */
  readonly step?: number;
  readonly stepStartedAt?: number;
}

/** What an operator or the analysis can ask of a rollout. */
export type RolloutCommand =
  | { readonly kind: 'promote'; readonly version?: string }
  | { readonly kind: 'rollback' }
  | { readonly kind: 'pause' }
  | { readonly kind: 'resume' }
  | { readonly kind: 'setSplit'; readonly weights: Readonly<Record<string, number>> };

/** A state change with the history entry that explains it. */
export interface Transition {
  readonly state: RolloutState;
  readonly kind: string;
  readonly reason: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** One execution of a node, as the analysis sees it. */
export interface Observation {
  readonly version: number;
  readonly variant: string;
  readonly durationMs: number;
  readonly failed: boolean;
  readonly outputs: NodeOutputs | undefined;
}

/** One check of a canary or shadow, with its numbers. */
export interface GateValue {
  readonly gate: string;
  /** `passed`, `failed`, or `waiting` (not enough data yet). */
  readonly status: 'passed' | 'failed' | 'waiting';
  readonly value: number | null;
  readonly threshold: number | null;
  readonly detail: string;
}

/** Per-arm readout of an experiment. */
export interface ArmReadout {
  readonly version: string;
  readonly control: boolean;
  readonly share: number;
  readonly assignments: number;
  readonly outcomes: number;
  readonly mean: number | null;
  readonly interval: { readonly lower: number; readonly upper: number } | null;
  readonly lift: { readonly estimate: number; readonly lower: number; readonly upper: number } | null;
  readonly pValue: number | null;
}

export interface ExperimentReadout {
  readonly scope: string;
  readonly outcome: string;
  readonly arms: readonly ArmReadout[];
  readonly srm: { readonly pValue: number; readonly statistic: number; readonly mismatch: boolean };
  readonly recommendation: string;
}

export interface ShadowReport {
  readonly mirrored: number;
  readonly compared: number;
  readonly agreement: number | null;
  readonly errors: number;
  readonly timeouts: number;
  readonly skipped: number;
  readonly primaryP99Ms: number | null;
  readonly shadowP99Ms: number | null;
  readonly psi: number | null;
  readonly psiCritical: number | null;
  readonly ksPValue: number | null;
}

/** A rollout as the control surface shows it. */
export interface RolloutView {
  readonly pipeline: string;
  readonly node: string;
  readonly policy: string;
  readonly description: string;
  readonly status: RolloutStatus;
  readonly revision: number;
  readonly scope: string;
  readonly override: string | null;
  readonly traffic: readonly { readonly version: string; readonly share: number }[];
  readonly stable: string | null;
  readonly candidate: string | null;
  readonly step: number | null;
  readonly stepShare: number | null;
  readonly gates: readonly GateValue[];
  readonly experiment: ExperimentReadout | null;
  readonly shadow: ShadowReport | null;
}

/** The routing of one node at run time, as the executor uses it. */
export interface NodeRouting {
  readonly def: NodeDef;
  /** The current policy; replaced (never mutated) when the rollout changes. */
  readonly policy: RoutingPolicy;
  /** Whether `observe` wants executions (canaries): timing is skipped otherwise. */
  readonly observes: boolean;
  observe(observation: Observation): void;
  /** Runs the shadow version of a request off the critical path (shadow policies). */
  shadow(run: ShadowRun, primary: Observation): void;
}

/** What a shadow execution needs of the request it mirrors. */
export interface ShadowRun {
  execute(version: number): NodeOutputs | Promise<NodeOutputs>;
}
