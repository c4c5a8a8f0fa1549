import { normalQuantile, studentTQuantile } from './distributions.js';
import { type SampleSummary, summaryMean, summaryVariance } from './summary.js';

/** A point estimate with a two-sided confidence interval. */
export interface Interval {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  /** The coverage the interval was built for, e.g. 0.95. */
  readonly confidence: number;
}

/** A Welch interval also carries its Welch–Satterthwaite degrees of freedom. */
export interface WelchInterval extends Interval {
  readonly degreesOfFreedom: number;
}

/** Default coverage of every interval here. */
export const DEFAULT_CONFIDENCE = 0.95;

/**
 * The Wilson score interval for a proportion (Wilson 1927): the set of p whose score test at the
 * given confidence does not reject `successes` out of `trials`. Unlike the Wald interval it stays
 * inside [0, 1] and keeps its coverage near 0 and 1 and at small n. With no trials it is [0, 1]
 * around `NaN`.
 */
export function wilsonInterval(successes: number, trials: number, confidence = DEFAULT_CONFIDENCE): Interval {
  checkConfidence(confidence);
  if (!Number.isInteger(trials) || trials < 0) throw new RangeError(`trials must be a non-negative integer, received ${trials}.`);
  if (!(successes >= 0 && successes <= trials)) {
    throw new RangeError(`successes must be between 0 and trials (${trials}), received ${successes}.`);
  }
  if (trials === 0) return { estimate: Number.NaN, lower: 0, upper: 1, confidence };
  const z = normalQuantile(0.5 + confidence / 2);
  const z2 = z * z;
  const p = successes / trials;
  const denominator = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  // At 0 or `trials` successes one end is exactly the boundary; rounding should not move it.
  return {
    estimate: p,
    lower: successes === 0 ? 0 : Math.max(0, center - half),
    upper: successes === trials ? 1 : Math.min(1, center + half),
    confidence,
  };
}

/**
 * The t interval for a mean, mean ± t_{n−1}·s/√n. Needs two observations; with fewer the bounds
 * are `NaN`.
 */
export function meanInterval(summary: SampleSummary, confidence = DEFAULT_CONFIDENCE): Interval {
  checkConfidence(confidence);
  const estimate = summaryMean(summary);
  const standardError = Math.sqrt(summaryVariance(summary) / summary.count);
  const t = summary.count >= 2 ? studentTQuantile(0.5 + confidence / 2, summary.count - 1) : Number.NaN;
  return { estimate, lower: estimate - t * standardError, upper: estimate + t * standardError, confidence };
}

/**
 * Welch's interval for the difference of means, treatment − control:
 * d ± t_ν·√(s_t²/n_t + s_c²/n_c), with ν by Welch–Satterthwaite. It does not assume equal
 * variances. Each arm needs two observations; with fewer the bounds are `NaN`.
 */
export function meanDifferenceInterval(
  control: SampleSummary,
  treatment: SampleSummary,
  confidence = DEFAULT_CONFIDENCE,
): WelchInterval {
  checkConfidence(confidence);
  const estimate = summaryMean(treatment) - summaryMean(control);
  const vc = summaryVariance(control) / control.count;
  const vt = summaryVariance(treatment) / treatment.count;
  const variance = vc + vt;
  if (!(variance > 0)) {
    // Constant data (or too little of it): the difference is known exactly, or not at all.
    const bound = Number.isNaN(variance) ? Number.NaN : estimate;
    return { estimate, lower: bound, upper: bound, confidence, degreesOfFreedom: Number.NaN };
  }
  const degreesOfFreedom =
    (variance * variance) / ((vc * vc) / (control.count - 1) + (vt * vt) / (treatment.count - 1));
  const half = studentTQuantile(0.5 + confidence / 2, degreesOfFreedom) * Math.sqrt(variance);
  return { estimate, lower: estimate - half, upper: estimate + half, confidence, degreesOfFreedom };
}

/**
 * Newcombe's hybrid score interval for the difference of two proportions, treatment − control
 * (Newcombe 1998, method 10): it combines the two Wilson intervals,
 * lower = d − √((p_t − l_t)² + (u_c − p_c)²), upper = d + √((u_t − p_t)² + (p_c − l_c)²),
 * and so inherits their behaviour near 0 and 1. The summaries hold 0/1 outcomes (`sum` = successes).
 */
export function proportionDifferenceInterval(
  control: SampleSummary,
  treatment: SampleSummary,
  confidence = DEFAULT_CONFIDENCE,
): Interval {
  const c = wilsonInterval(control.sum, control.count, confidence);
  const t = wilsonInterval(treatment.sum, treatment.count, confidence);
  const estimate = t.estimate - c.estimate;
  return {
    estimate,
    lower: estimate - Math.hypot(t.estimate - t.lower, c.upper - c.estimate),
    upper: estimate + Math.hypot(t.upper - t.estimate, c.estimate - c.lower),
    confidence,
  };
}

/**
 * The relative lift of treatment over control, m_t / m_c − 1, with a delta-method interval
 * (first-order Taylor expansion of the ratio of two independent means; Deng, Knoblich & Lu 2018):
 * Var ≈ Var(m_t)/m_c² + m_t²·Var(m_c)/m_c⁴, lift ± z·√Var. Works for proportions and for means.
 * `undefined` when the lift is not defined: the control mean is 0, or an arm has fewer than two
 * observations.
 */
export function liftInterval(
  control: SampleSummary,
  treatment: SampleSummary,
  confidence = DEFAULT_CONFIDENCE,
): Interval | undefined {
  checkConfidence(confidence);
  if (control.count < 2 || treatment.count < 2) return undefined;
  const mc = summaryMean(control);
  const mt = summaryMean(treatment);
  if (mc === 0) return undefined;
  const varianceC = summaryVariance(control) / control.count;
  const varianceT = summaryVariance(treatment) / treatment.count;
  const variance = varianceT / (mc * mc) + (mt * mt * varianceC) / (mc * mc * mc * mc);
  const half = normalQuantile(0.5 + confidence / 2) * Math.sqrt(variance);
  const estimate = mt / mc - 1;
  return { estimate, lower: estimate - half, upper: estimate + half, confidence };
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be strictly between 0 and 1 (e.g. 0.95), received ${confidence}.`);
  }
}
