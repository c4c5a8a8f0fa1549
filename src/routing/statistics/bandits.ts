import { type Random, sampleBeta, sampleGamma, sampleNormal } from './random.js';
import type { SampleSummary } from './summary.js';

/**
 * An arm's statistics: `count` = pulls, `sum` = reward sum, `sumSquares` = reward sum of squares.
 * The same sufficient statistics as an experiment arm, so one outcome counter serves both.
 */
export type ArmStats = SampleSummary;

/**
 * A compiled bandit policy (every field filled; make one with {@link banditPolicy}).
 *
 * Every policy has a minimum exploration `floor`: before the policy itself runs, with probability
 * k·floor (k arms) the arm is drawn uniformly, so each arm is chosen with probability at least
 * `floor` on every round and the policy's own choice with probability 1 − k·floor. This keeps
 * fresh data flowing to every version (for readouts, drift checks and non-stationary rewards).
 */
export type BanditPolicy =
  | {
      /** Beta–Bernoulli Thompson sampling; rewards in [0, 1] (sum counts as successes). */
      readonly kind: 'thompson-bernoulli';
      readonly floor: number;
      /** Beta prior; default Beta(1, 1), uniform. */
      readonly priorAlpha: number;
      readonly priorBeta: number;
    }
  | {
      /** Gaussian Thompson sampling with unknown mean and variance (Normal–inverse-gamma posterior). */
      readonly kind: 'thompson-gaussian';
      readonly floor: number;
    }
  | {
      /** UCB1 (Auer, Cesa-Bianchi & Fischer 2002); rewards in [0, 1]. */
      readonly kind: 'ucb1';
      readonly floor: number;
    }
  | {
      /** Epsilon-greedy: uniform with probability ε, else the best mean so far. */
      readonly kind: 'epsilon-greedy';
      readonly floor: number;
      readonly epsilon: number;
    };

/** The kinds of bandit policy. */
export type BanditPolicyKind = BanditPolicy['kind'];

/** Options for {@link banditPolicy}: the kind, and optionally any of its fields. */
export type BanditPolicyOptions = {
  [K in BanditPolicyKind]: { readonly kind: K } & Partial<Omit<Extract<BanditPolicy, { kind: K }>, 'kind'>>;
}[BanditPolicyKind];

/** Default exploration floor per arm: 1% of selections. */
export const DEFAULT_BANDIT_FLOOR = 0.01;
/** Default ε of epsilon-greedy. */
export const DEFAULT_EPSILON = 0.1;
/** Gaussian Thompson sampling plays each arm this often before sampling from its posterior. */
export const GAUSSIAN_WARMUP_PULLS = 3;

const KINDS: readonly BanditPolicyKind[] = ['thompson-bernoulli', 'thompson-gaussian', 'ucb1', 'epsilon-greedy'];

/** Validates bandit options, fills the defaults and returns the compiled policy; names the bad field. */
export function banditPolicy(options: BanditPolicyOptions): BanditPolicy {
  const floor = options.floor ?? DEFAULT_BANDIT_FLOOR;
  if (!(floor >= 0 && floor < 1)) {
    throw new RangeError(`bandit option "floor" must be in [0, 1) (a share of selections per arm), received ${floor}.`);
  }
  switch (options.kind) {
    case 'thompson-bernoulli': {
      const priorAlpha = options.priorAlpha ?? 1;
      const priorBeta = options.priorBeta ?? 1;
      if (!(priorAlpha > 0 && Number.isFinite(priorAlpha))) {
        throw new RangeError(`bandit option "priorAlpha" must be a positive number, received ${priorAlpha}.`);
      }
      if (!(priorBeta > 0 && Number.isFinite(priorBeta))) {
        throw new RangeError(`bandit option "priorBeta" must be a positive number, received ${priorBeta}.`);
      }
      return { kind: 'thompson-bernoulli', floor, priorAlpha, priorBeta };
    }
    case 'thompson-gaussian':
      return { kind: 'thompson-gaussian', floor };
    case 'ucb1':
      return { kind: 'ucb1', floor };
    case 'epsilon-greedy': {
      const epsilon = options.epsilon ?? DEFAULT_EPSILON;
      if (!(epsilon >= 0 && epsilon <= 1)) {
        throw new RangeError(`bandit option "epsilon" must be in [0, 1], received ${epsilon}.`);
      }
      return { kind: 'epsilon-greedy', floor, epsilon };
    }
    default: {
      const kind: unknown = (options as { kind: unknown }).kind;
      throw new RangeError(`bandit "kind" must be one of ${KINDS.join(', ')}; received ${JSON.stringify(kind)}.`);
    }
  }
}

/** For span attributes, e.g. `epsilon-greedy(epsilon=0.1,floor=0.01)`. */
export function describeBanditPolicy(policy: BanditPolicy): string {
  switch (policy.kind) {
    case 'thompson-bernoulli':
      return `thompson-bernoulli(prior=beta(${policy.priorAlpha},${policy.priorBeta}),floor=${policy.floor})`;
    case 'thompson-gaussian':
    case 'ucb1':
      return `${policy.kind}(floor=${policy.floor})`;
    case 'epsilon-greedy':
      return `epsilon-greedy(epsilon=${policy.epsilon},floor=${policy.floor})`;
  }
}

/**
 * The arm to play next. Pure given `rng`, and allocation-free: it runs on every routed request.
 * Ties go to the lowest index. Throws if there are no arms or k·floor > 1.
 *
 * - `thompson-bernoulli`: draw θ_i ~ Beta(α₀ + sum_i, β₀ + count_i − sum_i), play the largest
 *   (Thompson 1933; Chapelle & Li 2011; Agrawal & Goyal 2012).
 * - `thompson-gaussian`: arms with fewer than 3 pulls first; then draw σ_i² from the posterior
 *   InvGamma((n_i − 2)/2, S_i/2), S_i = Σ(x − x̄_i)², and μ_i ~ N(x̄_i, σ_i²/n_i), play the largest.
 *   This is the Normal–inverse-gamma posterior under the prior π(μ, σ²) ∝ (σ²)^(−1/2), i.e. α = −1/2
 *   in Honda & Takemura (2014), who show priors with α < 0 keep Thompson sampling asymptotically
 *   optimal for Gaussian arms (the Jeffreys and reference priors, α ≥ 0, need not).
 * - `ucb1`: any arm with no pulls first; then the largest x̄_i + √(2 ln t / n_i), t = total pulls.
 * - `epsilon-greedy`: any arm with no pulls first; then with probability ε a uniform arm, else the
 *   largest x̄_i.
 */
export function selectArm(policy: BanditPolicy, arms: readonly ArmStats[], rng: Random): number {
  const k = arms.length;
  if (k === 0) throw new RangeError('selectArm needs at least one arm.');
  const floorMass = k * policy.floor;
  if (floorMass > 1) {
    throw new RangeError(
      `bandit floor ${policy.floor} for ${k} arms asks for ${floorMass} of the traffic; use a floor of at most 1/${k} = ${1 / k}.`,
    );
  }
  if (floorMass > 0) {
    // One draw decides both: u < k·floor happens with probability k·floor, and u / floor is then uniform on [0, k).
    const u = rng.next();
    if (u < floorMass) return Math.min(k - 1, Math.floor(u / policy.floor));
  }
  switch (policy.kind) {
    case 'thompson-bernoulli':
      return thompsonBernoulli(arms, policy.priorAlpha, policy.priorBeta, rng);
    case 'thompson-gaussian':
      return thompsonGaussian(arms, rng);
    case 'ucb1':
      return ucb1(arms);
    case 'epsilon-greedy': {
      const unplayed = firstBelow(arms, 1);
      if (unplayed >= 0) return unplayed;
      if (policy.epsilon > 0 && rng.next() < policy.epsilon) return Math.min(k - 1, Math.floor(rng.next() * k));
      return greedy(arms);
    }
  }
}

/**
 * The probability that {@link selectArm} picks each arm on the next round, floor included. Exact for
 * `ucb1` and `epsilon-greedy`; for the Thompson policies it is the share of `draws` posterior
 * samples each arm wins (each arm's probability of being the best), which costs `draws` selections.
 */
export function armProbabilities(policy: BanditPolicy, arms: readonly ArmStats[], rng: Random, draws = 10_000): number[] {
  const k = arms.length;
  if (k === 0) throw new RangeError('armProbabilities needs at least one arm.');
  if (!(Number.isInteger(draws) && draws > 0)) throw new RangeError(`draws must be a positive integer, received ${draws}.`);
  const floorMass = k * policy.floor;
  if (floorMass > 1) {
    throw new RangeError(`bandit floor ${policy.floor} for ${k} arms asks for ${floorMass} of the traffic; use a floor of at most 1/${k}.`);
  }
  const own = new Array<number>(k).fill(0);
  switch (policy.kind) {
    case 'thompson-bernoulli':
    case 'thompson-gaussian': {
      const unfloored = { ...policy, floor: 0 };
      for (let i = 0; i < draws; i++) {
        const arm = selectArm(unfloored, arms, rng);
        own[arm] = (own[arm] as number) + 1 / draws;
      }
      break;
    }
    case 'ucb1':
      own[ucb1(arms)] = 1;
      break;
    case 'epsilon-greedy': {
      const unplayed = firstBelow(arms, 1);
      if (unplayed >= 0) {
        own[unplayed] = 1;
        break;
      }
      for (let i = 0; i < k; i++) own[i] = policy.epsilon / k;
      const best = greedy(arms);
      own[best] = (own[best] as number) + 1 - policy.epsilon;
      break;
    }
  }
  return own.map((p) => policy.floor + (1 - floorMass) * p);
}

function thompsonBernoulli(arms: readonly ArmStats[], priorAlpha: number, priorBeta: number, rng: Random): number {
  let best = 0;
  let bestDraw = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < arms.length; i++) {
    const arm = arms[i] as ArmStats;
    const failures = arm.count - arm.sum;
    if (arm.sum < 0 || failures < 0) {
      throw new RangeError(
        `thompson-bernoulli needs rewards in [0, 1]: arm ${i} has reward sum ${arm.sum} over ${arm.count} pulls. Use thompson-gaussian for other rewards.`,
      );
    }
    const draw = sampleBeta(rng, priorAlpha + arm.sum, priorBeta + failures);
    if (draw > bestDraw) {
      bestDraw = draw;
      best = i;
    }
  }
  return best;
}

function thompsonGaussian(arms: readonly ArmStats[], rng: Random): number {
  const warmup = firstBelow(arms, GAUSSIAN_WARMUP_PULLS);
  if (warmup >= 0) return warmup;
  let best = 0;
  let bestDraw = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < arms.length; i++) {
    const arm = arms[i] as ArmStats;
    const n = arm.count;
    const mean = arm.sum / n;
    const spread = Math.max(0, arm.sumSquares - arm.sum * mean);
    const variance = spread > 0 ? spread / 2 / sampleGamma(rng, (n - 2) / 2) : 0;
    const draw = mean + Math.sqrt(variance / n) * sampleNormal(rng);
    if (draw > bestDraw) {
      bestDraw = draw;
      best = i;
    }
  }
  return best;
}

function ucb1(arms: readonly ArmStats[]): number {
  const unplayed = firstBelow(arms, 1);
  if (unplayed >= 0) return unplayed;
  let total = 0;
  for (let i = 0; i < arms.length; i++) total += (arms[i] as ArmStats).count;
  const twoLogT = 2 * Math.log(total);
  let best = 0;
  let bestIndex = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < arms.length; i++) {
    const arm = arms[i] as ArmStats;
    const index = arm.sum / arm.count + Math.sqrt(twoLogT / arm.count);
    if (index > bestIndex) {
      bestIndex = index;
      best = i;
    }
  }
  return best;
}

function greedy(arms: readonly ArmStats[]): number {
  let best = 0;
  let bestMean = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < arms.length; i++) {
    const arm = arms[i] as ArmStats;
    const mean = arm.sum / arm.count;
    if (mean > bestMean) {
      bestMean = mean;
      best = i;
    }
  }
  return best;
}

/** The first arm with fewer than `pulls` pulls, or −1. */
function firstBelow(arms: readonly ArmStats[], pulls: number): number {
  for (let i = 0; i < arms.length; i++) if ((arms[i] as ArmStats).count < pulls) return i;
  return -1;
}
