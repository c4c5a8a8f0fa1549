import { unitPosition } from './hash.js';
import { selectArm, type ArmStats, type BanditPolicy as BanditSettings, type Random } from './statistics/index.js';

/** Which version a request gets, in which role, and where it is counted. */
export interface Assignment {
  /** Index into the node's versions. */
  readonly version: number;
  /** `stable`, `control`, `treatment`, `candidate`, `arm`: the version's role in its policy. */
  readonly variant: string;
  /** The analysis scope (experiment, canary or bandit run) that counts this request, if any. */
  readonly scope?: string;
  /** A version to run as a shadow of this request (its output is never returned). */
  readonly shadow?: number;
}

/**
 * A rollout policy: a small deterministic object. `select` is pure for a given policy state (a
 * bandit's draws aside), so the same unit gets the same version in every process and after
 * restarts. Policies are rebuilt, not mutated, when a rollout changes.
 */
export interface RoutingPolicy {
  readonly name: string;
  select(unitKey: string): Assignment;
  /** Share of traffic per version (sums to 1), for introspection. */
  traffic(): readonly number[];
  /** For responses and span attributes, e.g. `split(v1=90%,v2=10%)`. */
  toString(): string;
}

/** Every unit gets one version. */
export class FixedPolicy implements RoutingPolicy {
  readonly name = 'fixed';
  readonly #assignment: Assignment;
  readonly #versions: readonly string[];
  /** Built once: it goes into every decision. */
  readonly #description: string;

  constructor(versions: readonly string[], version: number, options: { label?: string; variant?: string } = {}) {
    this.#versions = versions;
    this.#assignment = { version, variant: options.variant ?? 'stable' };
    this.#description = `${options.label ?? 'fixed'}(${versions[version]})`;
  }

  select(): Assignment {
    return this.#assignment;
  }

  traffic(): number[] {
    return this.#versions.map((_, index) => (index === this.#assignment.version ? 1 : 0));
  }

  toString(): string {
    return this.#description;
  }
}

/** One version's piece of [0, 1). */
export interface Interval {
  readonly version: number;
  readonly from: number;
  readonly to: number;
  readonly variant: string;
  /** to − from, computed without the rounding of a subtraction (shown to users). */
  readonly share: number;
}

/**
 * Sticky assignment by intervals of [0, 1): a unit at position u (see `unitPosition`) gets the
 * version whose interval holds u. Splits lay intervals end to end in declared order; a canary puts
 * the candidate at the top, [1 − share, 1), so growing the share only moves units onto it.
 */
export class IntervalPolicy implements RoutingPolicy {
  readonly name: string;
  readonly #intervals: readonly Interval[];
  readonly #assignments: readonly Assignment[];
  readonly #versions: readonly string[];
  readonly #salt: string;
  #description: string | undefined;

  constructor(name: string, versions: readonly string[], intervals: readonly Interval[], salt: string, scope?: string) {
    this.name = name;
    this.#versions = versions;
    this.#intervals = intervals.filter((interval) => interval.to > interval.from);
    this.#assignments = this.#intervals.map((i) => (scope === undefined ? { version: i.version, variant: i.variant } : { version: i.version, variant: i.variant, scope }));
    this.#salt = salt;
  }

  /** Intervals end to end in declared order, sized by the weights. */
  static split(versions: readonly string[], weights: readonly number[], salt: string, options: { control?: number; scope?: string; name?: string } = {}): IntervalPolicy {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    const control = options.control ?? 0;
    let from = 0;
    const intervals = weights.map((weight, version) => {
      const to = version === weights.length - 1 ? 1 : from + weight / total;
      const interval = { version, from, to, variant: version === control ? 'control' : 'treatment', share: weight / total };
      from = to;
      return interval;
    });
    return new IntervalPolicy(options.name ?? 'split', versions, intervals, salt, options.scope);
  }

  /** The candidate owns [1 − share, 1), the stable version the rest. */
  static canary(versions: readonly string[], stable: number, candidate: number, share: number, salt: string, scope?: string): IntervalPolicy {
    return new IntervalPolicy(
      'canary',
      versions,
      [
        { version: stable, from: 0, to: 1 - share, variant: 'stable', share: 1 - share },
        { version: candidate, from: 1 - share, to: 1, variant: 'candidate', share },
      ],
      salt,
      scope,
    );
  }

  select(unitKey: string): Assignment {
    const position = unitPosition(this.#salt, unitKey);
    const intervals = this.#intervals;
    for (let i = 0; i < intervals.length; i++) if (position < (intervals[i] as Interval).to) return this.#assignments[i] as Assignment;
    return this.#assignments[this.#assignments.length - 1] as Assignment;
  }

  traffic(): number[] {
    const shares = this.#versions.map(() => 0);
    for (const interval of this.#intervals) shares[interval.version] = (shares[interval.version] ?? 0) + interval.share;
    return shares;
  }

  toString(): string {
    // Policies are immutable and this string goes into every response: build it once.
    this.#description ??= `${this.name}(${this.#versions.flatMap((name, i) => ((this.traffic()[i] ?? 0) > 0 || this.name === 'split' ? [`${name}=${formatPercent(this.traffic()[i] ?? 0)}`] : [])).join(',')})`;
    return this.#description;
  }
}

/** The primary answers; units in the mirrored fraction also run the shadow version. */
export class ShadowPolicy implements RoutingPolicy {
  readonly name = 'shadow';
  readonly #plain: Assignment;
  readonly #mirrored: Assignment;
  readonly #versions: readonly string[];
  readonly #fraction: number;
  readonly #salt: string;
  readonly #description: string;

  constructor(versions: readonly string[], primary: number, shadow: number, fraction: number, salt: string) {
    this.#versions = versions;
    this.#plain = { version: primary, variant: 'primary' };
    this.#mirrored = { version: primary, variant: 'primary', shadow };
    this.#fraction = fraction;
    this.#salt = salt;
    this.#description = `shadow(${versions[primary]}, mirror ${versions[shadow]} ${formatPercent(fraction)})`;
  }

  select(unitKey: string): Assignment {
    return this.#fraction >= 1 || unitPosition(this.#salt, unitKey) < this.#fraction ? this.#mirrored : this.#plain;
  }

  traffic(): number[] {
    return this.#versions.map((_, index) => (index === this.#plain.version ? 1 : 0));
  }

  toString(): string {
    return this.#description;
  }
}

/**
 * A bandit: each request draws an arm from the current statistics (which the rollout updates as
 * outcomes arrive). Assignment is per request, not per unit: its allocation moves as it learns.
 */
export class BanditRoutingPolicy implements RoutingPolicy {
  readonly name = 'bandit';
  readonly #versions: readonly string[];
  readonly #arms: readonly ArmStats[];
  readonly #settings: BanditSettings;
  readonly #random: Random;
  readonly #assignments: readonly Assignment[];
  readonly #describe: () => number[];
  #description: string | undefined;

  constructor(versions: readonly string[], arms: readonly ArmStats[], settings: BanditSettings, random: Random, scope: string, traffic: () => number[]) {
    this.#versions = versions;
    this.#arms = arms;
    this.#settings = settings;
    this.#random = random;
    this.#assignments = versions.map((_, version) => ({ version, variant: 'arm', scope }));
    this.#describe = traffic;
  }

  select(): Assignment {
    return this.#assignments[selectArm(this.#settings, this.#arms, this.#random)] as Assignment;
  }

  traffic(): number[] {
    return this.#describe();
  }

  toString(): string {
    this.#description ??= `bandit(${this.#settings.kind}: ${this.#versions.join(',')})`;
    return this.#description;
  }
}

export function formatPercent(share: number): string {
  return `${Math.round(share * 10000) / 100}%`;
}
