import { chiSquareQuantile, kolmogorovSf } from './distributions.js';

/** Options of {@link populationStabilityIndex}. */
export interface PsiOptions {
  /** Number of quantile bins taken from the reference sample; default 10. */
  readonly bins?: number;
  /** Floor for a bin's share, so an empty bin adds a large but finite term; default 1e-4. */
  readonly epsilon?: number;
  /** False-alarm rate of the critical value; default 0.05. */
  readonly alpha?: number;
}

/** The PSI between a reference and a current sample, and whether it is larger than chance explains. */
export interface PsiResult {
  /** Σ (q_i − p_i) · ln(q_i / p_i) over bins, p = reference shares, q = current shares. */
  readonly psi: number;
  /**
   * Interior bin edges (ascending). A value x falls in bin i when edges[i−1] < x ≤ edges[i]; the
   * outer bins are open. Ties in the reference can merge bins, so there may be fewer than asked.
   */
  readonly edges: readonly number[];
  readonly referenceShares: readonly number[];
  readonly currentShares: readonly number[];
  /** {@link psiCriticalValue} for these sample sizes and bins. */
  readonly criticalValue: number;
  /** `psi > criticalValue`. */
  readonly drift: boolean;
}

/**
 * The population stability index of `current` against `reference`, with B bins at the reference's
 * quantiles (type 7, linear interpolation), shares floored at `epsilon`. The fixed rules of thumb
 * (0.1, 0.25) ignore sample size; the verdict here uses {@link psiCriticalValue} instead.
 */
export function populationStabilityIndex(
  reference: readonly number[],
  current: readonly number[],
  options: PsiOptions = {},
): PsiResult {
  const bins = options.bins ?? 10;
  const epsilon = options.epsilon ?? 1e-4;
  const alpha = options.alpha ?? 0.05;
  if (!Number.isInteger(bins) || bins < 2) throw new RangeError(`PSI option "bins" must be an integer >= 2, received ${bins}.`);
  if (!(epsilon > 0 && epsilon < 1)) throw new RangeError(`PSI option "epsilon" must be strictly between 0 and 1, received ${epsilon}.`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`PSI option "alpha" must be strictly between 0 and 1, received ${alpha}.`);
  const sortedReference = sortedCopy(reference, 'reference');
  checkSample(current, 'current');

  const n = sortedReference.length;
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const edge = quantileSorted(sortedReference, k / bins);
    if (edges.length === 0 || edge > (edges[edges.length - 1] as number)) edges.push(edge);
  }
  const referenceCounts = countBins(sortedReference, edges);
  const currentCounts = countBins(current, edges);
  const referenceShares = referenceCounts.map((count) => count / n);
  const currentShares = currentCounts.map((count) => count / current.length);
  let psi = 0;
  for (let i = 0; i < referenceShares.length; i++) {
    const p = Math.max(referenceShares[i] as number, epsilon);
    const q = Math.max(currentShares[i] as number, epsilon);
    psi += (q - p) * Math.log(q / p);
  }
  const criticalValue = psiCriticalValue(edges.length + 1, n, current.length, alpha);
  return { psi, edges, referenceShares, currentShares, criticalValue, drift: psi > criticalValue };
}

/**
 * The PSI that two samples of sizes n and m from one distribution exceed with probability α:
 * (1/n + 1/m) · χ²_{B−1}(1 − α). Under no drift the PSI is a symmetrised KL divergence and
 * PSI / (1/n + 1/m) is approximately χ² with B − 1 degrees of freedom (Yurdakul 2018,
 * "Statistical properties of the population stability index").
 */
export function psiCriticalValue(bins: number, n: number, m: number, alpha = 0.05): number {
  if (!Number.isInteger(bins) || bins < 2) throw new RangeError(`bins must be an integer >= 2, received ${bins}.`);
  if (!(n > 0) || !(m > 0)) throw new RangeError(`sample sizes must be positive, received n = ${n}, m = ${m}.`);
  return (1 / n + 1 / m) * chiSquareQuantile(1 - alpha, bins - 1);
}

/** The two-sample Kolmogorov–Smirnov statistic and its p-value. */
export interface KsResult {
  /** D = sup_x |F_a(x) − F_b(x)|. */
  readonly statistic: number;
  readonly pValue: number;
}

/**
 * The two-sample Kolmogorov–Smirnov test. The p-value is the asymptotic Kolmogorov tail at
 * (√n_e + 0.12 + 0.11/√n_e)·D with n_e = n·m/(n + m) (Stephens 1970's small-sample correction, as in
 * Numerical Recipes §14.3). Ties are handled by stepping both empirical CDFs past equal values
 * together; with many ties the test is conservative.
 */
export function kolmogorovSmirnovTest(a: readonly number[], b: readonly number[]): KsResult {
  const x = sortedCopy(a, 'a');
  const y = sortedCopy(b, 'b');
  const n = x.length;
  const m = y.length;
  let i = 0;
  let j = 0;
  let statistic = 0;
  while (i < n && j < m) {
    const value = Math.min(x[i] as number, y[j] as number);
    while (i < n && (x[i] as number) <= value) i++;
    while (j < m && (y[j] as number) <= value) j++;
    const gap = Math.abs(i / n - j / m);
    if (gap > statistic) statistic = gap;
  }
  const root = Math.sqrt((n * m) / (n + m));
  return { statistic, pValue: Math.min(1, kolmogorovSf((root + 0.12 + 0.11 / root) * statistic)) };
}

function checkSample(values: readonly number[], name: string): void {
  if (values.length === 0) throw new RangeError(`sample "${name}" is empty.`);
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) throw new RangeError(`sample "${name}" has NaN at index ${i}.`);
  }
}

function sortedCopy(values: readonly number[], name: string): Float64Array {
  checkSample(values, name);
  return Float64Array.from(values).sort();
}

/** Type-7 quantile (linear interpolation between order statistics) of sorted data. */
function quantileSorted(sorted: Float64Array, p: number): number {
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const low = sorted[below] as number;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return low + (position - below) * (high - low);
}

/** Counts per bin, where bin i holds edges[i−1] < x ≤ edges[i] (found by binary search). */
function countBins(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let k = 0; k < values.length; k++) {
    const value = values[k] as number;
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((edges[mid] as number) < value) lo = mid + 1;
      else hi = mid;
    }
    counts[lo] = (counts[lo] as number) + 1;
  }
  return counts;
}
