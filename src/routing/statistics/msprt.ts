/**
 * The mixture sequential probability ratio test (mSPRT) for the difference of two means, with a
 * normal mixture over the effect (Johari, Koomen, Pekelis & Walsh 2017, "Peeking at A/B tests";
 * Johari, Pekelis & Walsh 2022, "Always valid inference"). Its p-value stays valid however often it
 * is looked at, so canary gates and experiment readouts may stop at the first look where it drops
 * below α.
 *
 * With θ̂ = m_t − m_c, its variance V and mixing variance τ² (θ ~ N(0, τ²) under the alternative):
 *
 *   Λ = √(V / (V + τ²)) · exp(τ² θ̂² / (2V (V + τ²)))
 *
 * which for equal arms of n and known σ² is the paper's
 * √(2σ² / (2σ² + nτ²)) · exp(n²τ²θ̂² / (4σ²(2σ² + nτ²))). V is plugged in from the data:
 * - `bernoulli`: pooled under H₀, V = p̄(1 − p̄)(1/n_c + 1/n_t);
 * - `continuous`: V = s_c²/n_c + s_t²/n_t (unbiased sample variances).
 */

import { type SampleSummary, summaryVariance } from './summary.js';

/** The outcome model, which decides how V is estimated (see the module comment). */
export type MsprtOutcome = 'bernoulli' | 'continuous';

/** Options of {@link msprt} and {@link MsprtTracker}; every field is optional. */
export interface MsprtOptions {
  /** How V is estimated; default `continuous`. Use `bernoulli` for 0/1 outcomes. */
  readonly outcome?: MsprtOutcome;
  /**
   * τ², on the scale of the difference of means. Default: (0.1·σ̂)², i.e. effects of about a tenth
   * of a standard deviation of one observation, with σ̂² the pooled per-observation variance
   * ({@link defaultMixingVariance}). The tracker fixes it at its first informative look.
   */
  readonly mixingVariance?: number;
  /** Significance level for the `reject` flag; default 0.05. */
  readonly alpha?: number;
}

/** The default standardized effect size the mixture is centred on: τ = 0.1·σ̂. */
export const DEFAULT_MIXING_EFFECT = 0.1;

/** One evaluation of the mSPRT at one look. */
export interface MsprtResult {
  /** θ̂ = treatment mean − control mean. */
  readonly difference: number;
  /** V, the plug-in variance of θ̂; `NaN` while an arm is too small to estimate it. */
  readonly variance: number;
  /** τ² used for this look; `NaN` when it could not be derived yet. */
  readonly mixingVariance: number;
  /** ln Λ; 0 while there is no information. */
  readonly logLikelihoodRatio: number;
  /** min(1, 1/Λ) at this look alone. Only its running minimum is always valid. */
  readonly pValue: number;
}

/** A look as seen by the tracker: the look's own result plus the running, always-valid p-value. */
export interface MsprtLook extends MsprtResult {
  /** The running minimum of min(1, 1/Λ) over all looks so far: valid at any stopping time. */
  readonly alwaysValidPValue: number;
  /** `alwaysValidPValue < alpha`. */
  readonly reject: boolean;
}

/** What the tracker persists between looks (plain data: the state store can keep it). */
export interface MsprtTrackerState {
  readonly looks: number;
  /** τ², fixed at the first informative look; `null` before it. */
  readonly mixingVariance: number | null;
  readonly alwaysValidPValue: number;
}

interface CompiledMsprtOptions {
  readonly outcome: MsprtOutcome;
  readonly mixingVariance: number | undefined;
  readonly alpha: number;
}

/**
 * The default τ² = (0.1·σ̂)², with σ̂² the per-observation variance pooled over both arms (p̄(1 − p̄)
 * for Bernoulli outcomes). `NaN` while it cannot be estimated or is 0.
 */
export function defaultMixingVariance(control: SampleSummary, treatment: SampleSummary, outcome: MsprtOutcome): number {
  const sigma2 = pooledVariance(control, treatment, outcome);
  return sigma2 > 0 ? DEFAULT_MIXING_EFFECT * DEFAULT_MIXING_EFFECT * sigma2 : Number.NaN;
}

/**
 * The mSPRT statistic and the p-value min(1, 1/Λ) for one look at the arms' sufficient statistics.
 * Without a `mixingVariance` it uses {@link defaultMixingVariance} of this look's data. Feed looks
 * through {@link MsprtTracker} to get the always-valid (running-minimum) p-value.
 */
export function msprt(control: SampleSummary, treatment: SampleSummary, options: MsprtOptions = {}): MsprtResult {
  const compiled = compileOptions(options);
  const tau2 = compiled.mixingVariance ?? defaultMixingVariance(control, treatment, compiled.outcome);
  return evaluate(control, treatment, compiled.outcome, tau2);
}

/**
 * Running mSPRT for one experiment: `look` after each batch of outcomes (the cumulative summaries),
 * read the always-valid p-value. τ² is fixed at the first look where it can be estimated, so every
 * look tests against the same mixture (a τ² that moved with the data would make the running
 * minimum a minimum over several tests). Restore a tracker from its `state` after a restart.
 */
export class MsprtTracker {
  readonly #options: CompiledMsprtOptions;
  #state: MsprtTrackerState;

  constructor(options: MsprtOptions = {}, state: MsprtTrackerState = { looks: 0, mixingVariance: null, alwaysValidPValue: 1 }) {
    this.#options = compileOptions(options);
    this.#state = state;
  }

  /** Evaluates the test on the cumulative summaries and folds the p-value into the running minimum. */
  look(control: SampleSummary, treatment: SampleSummary): MsprtLook {
    const { outcome, alpha } = this.#options;
    let tau2 = this.#state.mixingVariance ?? this.#options.mixingVariance ?? null;
    if (tau2 === null) {
      const estimate = defaultMixingVariance(control, treatment, outcome);
      if (estimate > 0) tau2 = estimate;
    }
    const result = evaluate(control, treatment, outcome, tau2 ?? Number.NaN);
    const alwaysValidPValue = Math.min(this.#state.alwaysValidPValue, result.pValue);
    this.#state = { looks: this.#state.looks + 1, mixingVariance: tau2, alwaysValidPValue };
    return { ...result, alwaysValidPValue, reject: alwaysValidPValue < alpha };
  }

  /** The running minimum p-value so far (1 before the first look). */
  get alwaysValidPValue(): number {
    return this.#state.alwaysValidPValue;
  }

  /** The state to persist; pass it back to the constructor to continue. */
  get state(): MsprtTrackerState {
    return this.#state;
  }

  /** For span attributes: `msprt(bernoulli,τ²=…,p=…)`. */
  toString(): string {
    const tau2 = this.#state.mixingVariance ?? this.#options.mixingVariance;
    return `msprt(${this.#options.outcome},tau2=${tau2 === undefined || tau2 === null ? 'auto' : tau2.toPrecision(3)},p=${this.#state.alwaysValidPValue.toPrecision(3)})`;
  }
}

function evaluate(control: SampleSummary, treatment: SampleSummary, outcome: MsprtOutcome, tau2: number): MsprtResult {
  const nc = control.count;
  const nt = treatment.count;
  const difference = nc > 0 && nt > 0 ? treatment.sum / nt - control.sum / nc : Number.NaN;
  const variance = differenceVariance(control, treatment, outcome);
  if (!(variance > 0) || !(tau2 > 0) || Number.isNaN(difference)) {
    return { difference, variance, mixingVariance: tau2, logLikelihoodRatio: 0, pValue: 1 };
  }
  const logLikelihoodRatio =
    0.5 * Math.log(variance / (variance + tau2)) + (tau2 * difference * difference) / (2 * variance * (variance + tau2));
  return { difference, variance, mixingVariance: tau2, logLikelihoodRatio, pValue: Math.min(1, Math.exp(-logLikelihoodRatio)) };
}

function differenceVariance(control: SampleSummary, treatment: SampleSummary, outcome: MsprtOutcome): number {
  const nc = control.count;
  const nt = treatment.count;
  switch (outcome) {
    case 'bernoulli': {
      if (nc < 1 || nt < 1) return Number.NaN;
      return pooledVariance(control, treatment, outcome) * (1 / nc + 1 / nt);
    }
    case 'continuous':
      return summaryVariance(control) / nc + summaryVariance(treatment) / nt;
  }
}

function pooledVariance(control: SampleSummary, treatment: SampleSummary, outcome: MsprtOutcome): number {
  switch (outcome) {
    case 'bernoulli': {
      const n = control.count + treatment.count;
      if (n < 1) return Number.NaN;
      const p = (control.sum + treatment.sum) / n;
      return p * (1 - p);
    }
    case 'continuous': {
      if (control.count < 2 || treatment.count < 2) return Number.NaN;
      return (
        ((control.count - 1) * summaryVariance(control) + (treatment.count - 1) * summaryVariance(treatment)) /
        (control.count + treatment.count - 2)
      );
    }
  }
}

function compileOptions(options: MsprtOptions): CompiledMsprtOptions {
  const outcome = options.outcome ?? 'continuous';
  if (outcome !== 'bernoulli' && outcome !== 'continuous') {
    throw new RangeError(`msprt option "outcome" must be "bernoulli" or "continuous", received ${JSON.stringify(outcome)}.`);
  }
  const { mixingVariance } = options;
  if (mixingVariance !== undefined && !(mixingVariance > 0 && Number.isFinite(mixingVariance))) {
    throw new RangeError(
      `msprt option "mixingVariance" must be a positive number (τ² on the scale of the mean difference), received ${mixingVariance}. Omit it for the default (0.1·σ̂)².`,
    );
  }
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) {
    throw new RangeError(`msprt option "alpha" must be strictly between 0 and 1, received ${alpha}.`);
  }
  return { outcome, mixingVariance, alpha };
}
