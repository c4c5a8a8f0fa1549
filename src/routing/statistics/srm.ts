import { chiSquareSf } from './distributions.js';

/** Options of {@link sampleRatioMismatch}. */
export interface SrmOptions {
  /** Flag a mismatch when the p-value is below this; default 0.001 (Fabijan et al. 2019). */
  readonly threshold?: number;
}

/** The outcome of a sample-ratio-mismatch check. */
export interface SrmResult {
  /** Pearson's χ² = Σ (observed − expected)² / expected over arms with a configured share. */
  readonly statistic: number;
  /** Arms with a positive share, minus one. */
  readonly degreesOfFreedom: number;
  readonly pValue: number;
  /** Expected count per arm: total × share. */
  readonly expected: readonly number[];
  /** `pValue < threshold`: assignment or logging is broken, and no readout of this split is trustworthy. */
  readonly mismatch: boolean;
}

/** The default SRM threshold. */
export const DEFAULT_SRM_THRESHOLD = 0.001;

/**
 * Sample-ratio-mismatch check: Pearson's chi-square goodness-of-fit test of the units counted per
 * arm against the configured traffic shares (Fabijan et al. 2019, "Diagnosing sample ratio mismatch
 * in online controlled experiments"). `shares` are relative weights (90/10 and 0.9/0.1 mean the
 * same). An arm with share 0 that received units is a mismatch outright (statistic ∞, p = 0).
 */
export function sampleRatioMismatch(
  counts: readonly number[],
  shares: readonly number[],
  options: SrmOptions = {},
): SrmResult {
  const threshold = options.threshold ?? DEFAULT_SRM_THRESHOLD;
  if (!(threshold > 0 && threshold < 1)) {
    throw new RangeError(`SRM option "threshold" must be strictly between 0 and 1, received ${threshold}.`);
  }
  if (counts.length !== shares.length) {
    throw new RangeError(`SRM needs one share per arm: received ${counts.length} counts and ${shares.length} shares.`);
  }
  let totalShare = 0;
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] as number;
    const share = shares[i] as number;
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`SRM counts[${i}] must be a non-negative integer, received ${count}.`);
    if (!(share >= 0 && Number.isFinite(share))) throw new RangeError(`SRM shares[${i}] must be a non-negative number, received ${share}.`);
    totalShare += share;
    total += count;
  }
  if (!(totalShare > 0)) throw new RangeError('SRM shares must not all be 0.');

  const expected = shares.map((share) => (total * share) / totalShare);
  let statistic = 0;
  let arms = 0;
  for (let i = 0; i < counts.length; i++) {
    const observed = counts[i] as number;
    const e = expected[i] as number;
    if ((shares[i] as number) === 0) {
      if (observed > 0) statistic = Number.POSITIVE_INFINITY;
      continue;
    }
    arms++;
    if (e > 0) statistic += ((observed - e) * (observed - e)) / e;
  }
  const degreesOfFreedom = arms - 1;
  let pValue: number;
  if (statistic === Number.POSITIVE_INFINITY) pValue = 0;
  else if (degreesOfFreedom === 0 || total === 0) pValue = 1;
  else pValue = chiSquareSf(statistic, degreesOfFreedom);
  return { statistic, degreesOfFreedom, pValue, expected, mismatch: pValue < threshold };
}
