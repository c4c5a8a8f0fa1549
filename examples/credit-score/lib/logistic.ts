/**
 * L2-regularised logistic regression fitted by Newton's method (iteratively reweighted least
 * squares) on standardised features.
 *
 * Standardising first keeps the Newton system well conditioned when columns differ by orders of
 * magnitude (income in tens of thousands next to ratios near 1); the returned coefficients are
 * folded back to the raw feature scale, so the exported graph needs no scaler.
 */
import { sigmoid } from './math.js';
import type { Matrix } from './matrix.js';

/** Training parameters. */
export interface LogisticOptions {
  /** Newton steps; a fixed count (not a tolerance) keeps the result bit-for-bit reproducible. */
  readonly iterations: number;
  /** L2 penalty on the standardised coefficients (not on the intercept). */
  readonly l2: number;
}

/** A fitted model on the raw feature scale: P(1) = sigmoid(intercept + coefficients . x). */
export interface LogisticModel {
  /** Float32 values, as exported. */
  readonly coefficients: readonly number[];
  /** A float32 value, as exported. */
  readonly intercept: number;
}

/** Solves `a x = b` for a symmetric positive-definite `a` (n x n, row-major) by Cholesky. */
function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new RangeError('logistic regression: the Newton system is not positive definite');
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j]!;
      }
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * z[k]!;
    z[i] = s / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}

/** Fits the model to `x` and 0/1 labels `y`; deterministic for its inputs. */
export function trainLogistic(x: Matrix, y: Uint8Array, options: LogisticOptions): LogisticModel {
  if (y.length !== x.rows || x.rows === 0) {
    throw new RangeError(`trainLogistic() needs one label per row, received ${y.length} labels for ${x.rows} rows`);
  }
  const d = x.cols;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < x.rows; i++) s += x.data[i * d + j]!;
    mean[j] = s / x.rows;
    let v = 0;
    for (let i = 0; i < x.rows; i++) v += (x.data[i * d + j]! - mean[j]!) ** 2;
    // A constant column gets scale 1: its coefficient is then held at 0 by the penalty.
    sd[j] = Math.sqrt(v / x.rows) || 1;
  }
  const n = d + 1; // index 0 is the intercept
  const beta = new Float64Array(n);
  const z = new Float64Array(n);
  for (let iter = 0; iter < options.iterations; iter++) {
    const hessian = new Float64Array(n * n);
    const gradient = new Float64Array(n);
    for (let i = 0; i < x.rows; i++) {
      z[0] = 1;
      let eta = beta[0]!;
      for (let j = 0; j < d; j++) {
        z[j + 1] = (x.data[i * d + j]! - mean[j]!) / sd[j]!;
        eta += beta[j + 1]! * z[j + 1]!;
      }
      const p = sigmoid(eta);
      const w = Math.max(p * (1 - p), 1e-12);
      const r = p - y[i]!;
      for (let a = 0; a < n; a++) {
        gradient[a] = gradient[a]! + r * z[a]!;
        for (let c = 0; c <= a; c++) hessian[a * n + c] = hessian[a * n + c]! + w * z[a]! * z[c]!;
      }
    }
    for (let a = 0; a < n; a++) {
      for (let c = 0; c < a; c++) hessian[c * n + a] = hessian[a * n + c]!;
      if (a > 0) {
        hessian[a * n + a] = hessian[a * n + a]! + options.l2;
        gradient[a] = gradient[a]! + options.l2 * beta[a]!;
      }
    }
    const step = solveSpd(hessian, gradient, n);
    for (let a = 0; a < n; a++) beta[a] = beta[a]! - step[a]!;
  }
  const coefficients: number[] = [];
  let intercept = beta[0]!;
  for (let j = 0; j < d; j++) {
    coefficients.push(Math.fround(beta[j + 1]! / sd[j]!));
    intercept -= (beta[j + 1]! * mean[j]!) / sd[j]!;
  }
  return { coefficients, intercept: Math.fround(intercept) };
}

/** The linear score (log-odds) of every row of `x`, in float64. */
export function logisticLogits(model: LogisticModel, x: Matrix): Float64Array {
  if (x.cols !== model.coefficients.length) {
    throw new RangeError(`the model expects ${model.coefficients.length} features, received ${x.cols}`);
  }
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let eta = model.intercept;
    for (let j = 0; j < x.cols; j++) eta += model.coefficients[j]! * x.data[i * x.cols + j]!;
    out[i] = eta;
  }
  return out;
}

/** P(class 1) for every row of `x`, in float64. */
export function predictLogistic(model: LogisticModel, x: Matrix): Float64Array {
  return logisticLogits(model, x).map(sigmoid);
}
