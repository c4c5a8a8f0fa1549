/**
 * A tiny multi-layer perceptron for binary classification: standardise, one ReLU hidden layer,
 * one sigmoid output, trained on log-loss with Adam on seeded mini-batches.
 *
 * Everything random (initial weights, batch order) comes from one seeded {@link Rng} and the
 * number of epochs is fixed, so the trained weights are identical on every run.
 */
import { sigmoid } from './math.js';
import type { Matrix } from './matrix.js';
import { Rng } from './random.js';

/** Training parameters. */
export interface MlpOptions {
  readonly hidden: number;
  readonly epochs: number;
  readonly batchSize: number;
  /** Adam step size. */
  readonly learningRate: number;
  /** Seed for the initial weights and the batch order. */
  readonly seed: number;
}

/** A trained network; all numbers are float32 values, as exported. */
export interface MlpModel {
  /** Per-input mean subtracted before the first layer. */
  readonly mean: readonly number[];
  /** Per-input standard deviation divided by after subtracting the mean. */
  readonly scale: readonly number[];
  /** First layer weights, `inputs x hidden`, row-major (the layout of ONNX Gemm's B). */
  readonly w1: readonly number[];
  readonly b1: readonly number[];
  /** Output weights, one per hidden unit. */
  readonly w2: readonly number[];
  readonly b2: number;
}

function standardise(x: Matrix): { mean: number[]; scale: number[] } {
  const mean: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < x.cols; j++) {
    let s = 0;
    for (let i = 0; i < x.rows; i++) s += x.data[i * x.cols + j]!;
    const m = s / x.rows;
    let v = 0;
    for (let i = 0; i < x.rows; i++) v += (x.data[i * x.cols + j]! - m) ** 2;
    mean.push(Math.fround(m));
    scale.push(Math.fround(Math.sqrt(v / x.rows) || 1));
  }
  return { mean, scale };
}

/** Adam's per-parameter state and update, for one flat parameter vector. */
class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;

  constructor(
    private readonly params: Float64Array,
    private readonly rate: number,
  ) {
    this.m = new Float64Array(params.length);
    this.v = new Float64Array(params.length);
  }

  step(grad: Float64Array): void {
    const beta1 = 0.9;
    const beta2 = 0.999;
    this.t += 1;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    for (let i = 0; i < this.params.length; i++) {
      const g = grad[i]!;
      this.m[i] = beta1 * this.m[i]! + (1 - beta1) * g;
      this.v[i] = beta2 * this.v[i]! + (1 - beta2) * g * g;
      this.params[i] = this.params[i]! - (this.rate * (this.m[i]! / c1)) / (Math.sqrt(this.v[i]! / c2) + 1e-8);
    }
  }
}

/** Trains a network on `x` and 0/1 labels `y`; deterministic for its inputs and `options.seed`. */
export function trainMlp(x: Matrix, y: Uint8Array, options: MlpOptions): MlpModel {
  if (y.length !== x.rows || x.rows === 0) {
    throw new RangeError(`trainMlp() needs one label per row, received ${y.length} labels for ${x.rows} rows`);
  }
  const d = x.cols;
  const h = options.hidden;
  const rng = new Rng(options.seed);
  const { mean, scale } = standardise(x);
  const xs = new Float64Array(x.rows * d);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < d; j++) xs[i * d + j] = (x.data[i * d + j]! - mean[j]!) / scale[j]!;
  }

  // One flat vector [w1 (d*h), b1 (h), w2 (h), b2 (1)], so a single Adam instance updates it all.
  const w1At = 0;
  const b1At = d * h;
  const w2At = b1At + h;
  const b2At = w2At + h;
  const params = new Float64Array(b2At + 1);
  for (let i = 0; i < d * h; i++) params[w1At + i] = rng.normal(0, Math.sqrt(2 / d)); // He init for ReLU
  for (let k = 0; k < h; k++) params[w2At + k] = rng.normal(0, Math.sqrt(1 / h));
  const adam = new Adam(params, options.learningRate);
  const grad = new Float64Array(params.length);
  const pre = new Float64Array(h);
  const order = Array.from({ length: x.rows }, (_, i) => i);

  for (let epoch = 0; epoch < options.epochs; epoch++) {
    rng.shuffle(order);
    for (let start = 0; start < x.rows; start += options.batchSize) {
      const end = Math.min(start + options.batchSize, x.rows);
      grad.fill(0);
      for (let bi = start; bi < end; bi++) {
        const r = order[bi]!;
        let out = params[b2At]!;
        for (let k = 0; k < h; k++) {
          let a = params[b1At + k]!;
          for (let j = 0; j < d; j++) a += xs[r * d + j]! * params[w1At + j * h + k]!;
          pre[k] = a;
          if (a > 0) out += a * params[w2At + k]!;
        }
        const dOut = (sigmoid(out) - y[r]!) / (end - start);
        grad[b2At] = grad[b2At]! + dOut;
        for (let k = 0; k < h; k++) {
          const a = pre[k]!;
          if (a <= 0) continue;
          grad[w2At + k] = grad[w2At + k]! + dOut * a;
          const dA = dOut * params[w2At + k]!;
          grad[b1At + k] = grad[b1At + k]! + dA;
          for (let j = 0; j < d; j++) grad[w1At + j * h + k] = grad[w1At + j * h + k]! + dA * xs[r * d + j]!;
        }
      }
      adam.step(grad);
    }
  }
  const f32 = (from: number, to: number): number[] => Array.from(params.subarray(from, to), Math.fround);
  return {
    mean,
    scale,
    w1: f32(w1At, b1At),
    b1: f32(b1At, w2At),
    w2: f32(w2At, b2At),
    b2: Math.fround(params[b2At]!),
  };
}

/** P(class 1) for every row of `x`, in float64. */
export function predictMlp(model: MlpModel, x: Matrix): Float64Array {
  const d = model.mean.length;
  const h = model.b1.length;
  if (x.cols !== d) throw new RangeError(`the network expects ${d} inputs, received ${x.cols}`);
  const out = new Float64Array(x.rows);
  const z = new Float64Array(d);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < d; j++) z[j] = (x.data[i * d + j]! - model.mean[j]!) / model.scale[j]!;
    let o = model.b2;
    for (let k = 0; k < h; k++) {
      let a = model.b1[k]!;
      for (let j = 0; j < d; j++) a += z[j]! * model.w1[j * h + k]!;
      if (a > 0) o += a * model.w2[k]!;
    }
    out[i] = sigmoid(o);
  }
  return out;
}
