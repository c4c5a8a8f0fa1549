import type { RoutingDef } from '../definition/types.js';
import { unitPosition } from './hash.js';

/** Which version a request gets, and in which role. */
export interface Assignment {
  /** Index into the node's versions. */
  readonly version: number;
  /** `stable`, `candidate`, `arm`, ...: the role of the version in its policy. */
  readonly variant: string;
}

/**
 * A rollout policy: a small deterministic object. `select` is pure for a given policy state, so the
 * same unit gets the same version in every process and after restarts.
 */
export interface RoutingPolicy {
  readonly name: string;
  select(unitKey: string): Assignment;
  /** Share of traffic per version (sums to 1), for introspection. */
  traffic(): readonly number[];
  /** For span attributes and responses, e.g. `split(v1=90%,v2=10%)`. */
  toString(): string;
}

/** Every unit gets one version. */
export class FixedPolicy implements RoutingPolicy {
  readonly name = 'fixed';
  readonly #assignment: Assignment;
  readonly #versions: readonly string[];

  constructor(versions: readonly string[], version: number) {
    this.#versions = versions;
    this.#assignment = { version, variant: 'stable' };
  }

  select(): Assignment {
    return this.#assignment;
  }

  traffic(): number[] {
    return this.#versions.map((_, index) => (index === this.#assignment.version ? 1 : 0));
  }

  toString(): string {
    return `fixed(${this.#versions[this.#assignment.version]})`;
  }
}

/**
 * Weighted split with sticky assignment: version i owns the interval of [0,1) between the
 * cumulative weights of the versions declared before it and its own.
 */
export class SplitPolicy implements RoutingPolicy {
  readonly name = 'split';
  readonly #versions: readonly string[];
  readonly #bounds: readonly number[];
  readonly #shares: readonly number[];
  readonly #assignments: readonly Assignment[];
  readonly #salt: string;

  constructor(versions: readonly string[], weights: readonly number[], salt: string) {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    this.#versions = versions;
    this.#shares = weights.map((weight) => weight / total);
    let cumulative = 0;
    this.#bounds = this.#shares.map((share) => (cumulative += share));
    this.#assignments = versions.map((_, version) => ({ version, variant: version === 0 ? 'control' : 'treatment' }));
    this.#salt = salt;
  }

  select(unitKey: string): Assignment {
    const position = unitPosition(this.#salt, unitKey);
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (position < (bounds[i] as number) && (this.#shares[i] as number) > 0) return this.#assignments[i] as Assignment;
    }
    // Rounding can leave the last bound a hair under 1: the last version with traffic takes the rest.
    const last = this.#shares.findLastIndex((share) => share > 0);
    return this.#assignments[last] as Assignment;
  }

  traffic(): readonly number[] {
    return this.#shares;
  }

  toString(): string {
    return `split(${this.#versions.map((name, i) => `${name}=${formatPercent(this.#shares[i] as number)}`).join(',')})`;
  }
}

function formatPercent(share: number): string {
  return `${Math.round(share * 10000) / 100}%`;
}

/** The policy object for a compiled routing definition. */
export function createPolicy(routing: RoutingDef, versions: readonly string[]): RoutingPolicy {
  switch (routing.policy) {
    case 'fixed':
      return new FixedPolicy(versions, Math.max(0, versions.indexOf(routing.version)));
    case 'split':
      return new SplitPolicy(
        versions,
        versions.map((name) => routing.weights.find((w) => w.version === name)?.weight ?? 0),
        routing.salt,
      );
  }
}
