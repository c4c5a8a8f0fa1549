/**
 * Sufficient statistics of a stream of numeric outcomes: the count, the sum and the sum of squares.
 * They add up across replicas and over time, so the state store keeps only these three numbers per
 * arm. A Bernoulli outcome (0/1) has `sum === sumSquares === successes`.
 */
export interface SampleSummary {
  readonly count: number;
  readonly sum: number;
  readonly sumSquares: number;
}

/** The summary of no observations. */
export const EMPTY_SUMMARY: SampleSummary = Object.freeze({ count: 0, sum: 0, sumSquares: 0 });

/** The summary of the given values. */
export function summarize(values: Iterable<number>): SampleSummary {
  let count = 0;
  let sum = 0;
  let sumSquares = 0;
  for (const value of values) {
    count++;
    sum += value;
    sumSquares += value * value;
  }
  return { count, sum, sumSquares };
}

/** The summary of `successes` ones among `trials` 0/1 outcomes. */
export function proportionSummary(successes: number, trials: number): SampleSummary {
  if (!Number.isInteger(trials) || trials < 0) {
    throw new RangeError(`trials must be a non-negative integer, received ${trials}.`);
  }
  if (!Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new RangeError(`successes must be an integer between 0 and trials (${trials}), received ${successes}.`);
  }
  return { count: trials, sum: successes, sumSquares: successes };
}

/** The summary with one more observation. */
export function addObservation(summary: SampleSummary, value: number): SampleSummary {
  return { count: summary.count + 1, sum: summary.sum + value, sumSquares: summary.sumSquares + value * value };
}

/** The summary of the union of two samples (e.g. the counts of two replicas). */
export function mergeSummaries(a: SampleSummary, b: SampleSummary): SampleSummary {
  return { count: a.count + b.count, sum: a.sum + b.sum, sumSquares: a.sumSquares + b.sumSquares };
}

/** The sample mean; `NaN` for an empty summary. */
export function summaryMean(summary: SampleSummary): number {
  return summary.count > 0 ? summary.sum / summary.count : Number.NaN;
}

/**
 * The unbiased sample variance `(Σx² − (Σx)²/n) / (n − 1)`; `NaN` below two observations. Rounding
 * can push the numerator a hair below zero for constant data, so it is floored at zero.
 */
export function summaryVariance(summary: SampleSummary): number {
  const { count, sum, sumSquares } = summary;
  if (count < 2) return Number.NaN;
  return Math.max(0, sumSquares - (sum * sum) / count) / (count - 1);
}
