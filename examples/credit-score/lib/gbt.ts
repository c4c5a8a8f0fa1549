/**
 * Gradient-boosted decision trees for binary log-loss, with histogram split finding.
 *
 * Each round fits one regression tree to the log-loss gradient by Newton's method (the split gain
 * and the leaf values come from the sums of gradients and hessians, as in XGBoost and LightGBM).
 * The model has the same shape as scikit-learn's GradientBoostingClassifier: an initial log-odds
 * plus the sum of the trees' leaf values (already multiplied by the learning rate), through the
 * logistic function, so it exports to a TreeEnsembleClassifier the way skl2onnx writes one.
 */
import { sigmoid } from './math.js';
import type { Matrix } from './matrix.js';

/** Training parameters; every field is required so that a model states how it was made. */
export interface GbtOptions {
  /** Boosting rounds, one tree each. */
  readonly trees: number;
  /** Maximum depth of a tree (a depth-3 tree has at most 8 leaves). */
  readonly maxDepth: number;
  /** Shrinkage applied to every leaf value. */
  readonly learningRate: number;
  /** A split is allowed only if both children keep at least this many training rows. */
  readonly minSamplesLeaf: number;
  /** Candidate thresholds per feature (quantiles of the training values), at most 255. */
  readonly maxBins: number;
  /** L2 penalty on leaf values (added to the hessian sum). */
  readonly l2: number;
}

/** An internal node: rows with `x[feature] <= threshold` go to `left`, the others to `right`. */
export interface SplitNode {
  readonly kind: 'split';
  readonly feature: number;
  /** A float32 value, so that the comparison is exact in float32 too. */
  readonly threshold: number;
  readonly left: TreeNode;
  readonly right: TreeNode;
}

/** A leaf; `value` (a float32 value) is added to the log-odds. */
export interface LeafNode {
  readonly kind: 'leaf';
  readonly value: number;
}

/** A node of a regression tree. */
export type TreeNode = SplitNode | LeafNode;

/** A trained ensemble. */
export interface GbtModel {
  readonly features: number;
  /** log(p / (1 - p)) of the training base rate, as a float32 value. */
  readonly baseLogit: number;
  readonly trees: readonly TreeNode[];
}

/**
 * Candidate thresholds of one feature: up to `maxBins - 1` cut points at quantiles of the distinct
 * values, each placed midway between two neighbouring distinct values and rounded to float32.
 */
export function candidateThresholds(values: Float64Array, maxBins: number): Float64Array {
  const sorted = Float64Array.from(values).sort();
  const distinct: number[] = [];
  const cumulative: number[] = []; // rows with a value <= distinct[k]
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    if (distinct.length === 0 || v !== distinct[distinct.length - 1]) distinct.push(v);
    cumulative[distinct.length - 1] = i + 1;
  }
  const cuts: number[] = [];
  let nextQuantile = 1;
  for (let k = 0; k + 1 < distinct.length; k++) {
    const reached = cumulative[k]! / sorted.length;
    if (distinct.length > maxBins && reached < nextQuantile / maxBins) continue;
    while (nextQuantile / maxBins <= reached) nextQuantile++;
    const lo = distinct[k]!;
    const hi = distinct[k + 1]!;
    const mid = Math.fround((lo + hi) / 2);
    cuts.push(mid >= lo && mid < hi ? mid : lo);
  }
  return Float64Array.from(cuts);
}

/** The bin of `value`: the number of thresholds strictly below it (so bin k is `(t[k-1], t[k]]`). */
function binOf(thresholds: Float64Array, value: number): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (thresholds[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Histogram {
  readonly grad: Float64Array;
  readonly hess: Float64Array;
  readonly count: Uint32Array;
}

interface GrowContext {
  readonly x: Matrix;
  readonly bins: Uint8Array;
  readonly thresholds: readonly Float64Array[];
  readonly grad: Float64Array;
  readonly hess: Float64Array;
  readonly options: GbtOptions;
}

function leaf(ctx: GrowContext, rows: Uint32Array): LeafNode {
  let g = 0;
  let h = 0;
  for (const r of rows) {
    g += ctx.grad[r]!;
    h += ctx.hess[r]!;
  }
  return { kind: 'leaf', value: Math.fround((-g / (h + ctx.options.l2)) * ctx.options.learningRate) };
}

function histogram(ctx: GrowContext, rows: Uint32Array, feature: number, bins: number): Histogram {
  const hist: Histogram = { grad: new Float64Array(bins), hess: new Float64Array(bins), count: new Uint32Array(bins) };
  const cols = ctx.x.cols;
  for (const r of rows) {
    const b = ctx.bins[r * cols + feature]!;
    hist.grad[b] = hist.grad[b]! + ctx.grad[r]!;
    hist.hess[b] = hist.hess[b]! + ctx.hess[r]!;
    hist.count[b] = hist.count[b]! + 1;
  }
  return hist;
}

function grow(ctx: GrowContext, rows: Uint32Array, depth: number): TreeNode {
  const { l2, minSamplesLeaf, maxDepth } = ctx.options;
  if (depth >= maxDepth || rows.length < 2 * minSamplesLeaf) return leaf(ctx, rows);
  let gTotal = 0;
  let hTotal = 0;
  for (const r of rows) {
    gTotal += ctx.grad[r]!;
    hTotal += ctx.hess[r]!;
  }
  const parentScore = (gTotal * gTotal) / (hTotal + l2);
  // Ties keep the first candidate (lowest feature, then lowest threshold): deterministic.
  let best = { gain: 1e-9, feature: -1, cut: -1 };
  for (let f = 0; f < ctx.x.cols; f++) {
    const cuts = ctx.thresholds[f]!;
    const hist = histogram(ctx, rows, f, cuts.length + 1);
    let gLeft = 0;
    let hLeft = 0;
    let nLeft = 0;
    for (let k = 0; k < cuts.length; k++) {
      gLeft += hist.grad[k]!;
      hLeft += hist.hess[k]!;
      nLeft += hist.count[k]!;
      const nRight = rows.length - nLeft;
      if (nLeft < minSamplesLeaf) continue;
      if (nRight < minSamplesLeaf) break;
      const gRight = gTotal - gLeft;
      const hRight = hTotal - hLeft;
      const gain = (gLeft * gLeft) / (hLeft + l2) + (gRight * gRight) / (hRight + l2) - parentScore;
      if (gain > best.gain) best = { gain, feature: f, cut: k };
    }
  }
  if (best.feature < 0) return leaf(ctx, rows);
  const cols = ctx.x.cols;
  const left: number[] = [];
  const right: number[] = [];
  for (const r of rows) (ctx.bins[r * cols + best.feature]! <= best.cut ? left : right).push(r);
  return {
    kind: 'split',
    feature: best.feature,
    threshold: ctx.thresholds[best.feature]![best.cut]!,
    left: grow(ctx, Uint32Array.from(left), depth + 1),
    right: grow(ctx, Uint32Array.from(right), depth + 1),
  };
}

/** The log-odds contribution of one tree for row `row` of `x`. */
function treeValue(node: TreeNode, x: Matrix, row: number): number {
  let n = node;
  while (n.kind === 'split') n = x.data[row * x.cols + n.feature]! <= n.threshold ? n.left : n.right;
  return n.value;
}

/** Trains an ensemble on `x` (float32 features) and 0/1 labels `y`; deterministic for its inputs. */
export function trainGbt(x: Matrix, y: Uint8Array, options: GbtOptions): GbtModel {
  if (y.length !== x.rows || x.rows === 0) {
    throw new RangeError(`trainGbt() needs one label per row, received ${y.length} labels for ${x.rows} rows`);
  }
  if (options.maxBins < 2 || options.maxBins > 255) {
    throw new RangeError(`GbtOptions.maxBins must be in 2..255 (bins are stored as bytes), received ${options.maxBins}`);
  }
  const thresholds: Float64Array[] = [];
  const bins = new Uint8Array(x.rows * x.cols);
  for (let f = 0; f < x.cols; f++) {
    const values = new Float64Array(x.rows);
    for (let i = 0; i < x.rows; i++) values[i] = x.data[i * x.cols + f]!;
    const cuts = candidateThresholds(values, options.maxBins);
    thresholds.push(cuts);
    for (let i = 0; i < x.rows; i++) bins[i * x.cols + f] = binOf(cuts, values[i]!);
  }
  let positives = 0;
  for (const v of y) positives += v;
  const rate = positives / y.length;
  if (rate === 0 || rate === 1) throw new RangeError('trainGbt() needs both classes in the labels');
  const baseLogit = Math.fround(Math.log(rate / (1 - rate)));

  const logit = new Float64Array(x.rows).fill(baseLogit);
  const grad = new Float64Array(x.rows);
  const hess = new Float64Array(x.rows);
  const all = Uint32Array.from({ length: x.rows }, (_, i) => i);
  const ctx: GrowContext = { x, bins, thresholds, grad, hess, options };
  const trees: TreeNode[] = [];
  for (let t = 0; t < options.trees; t++) {
    for (let i = 0; i < x.rows; i++) {
      const p = sigmoid(logit[i]!);
      grad[i] = p - y[i]!;
      hess[i] = Math.max(p * (1 - p), 1e-12);
    }
    const tree = grow(ctx, all, 0);
    trees.push(tree);
    for (let i = 0; i < x.rows; i++) logit[i] = logit[i]! + treeValue(tree, x, i);
  }
  return { features: x.cols, baseLogit, trees };
}

/** P(class 1) for every row of `x` under `model`, computed in float64. */
export function predictGbt(model: GbtModel, x: Matrix): Float64Array {
  if (x.cols !== model.features) {
    throw new RangeError(`predictGbt() expects ${model.features} features, received ${x.cols}`);
  }
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let z = model.baseLogit;
    for (const tree of model.trees) z += treeValue(tree, x, i);
    out[i] = sigmoid(z);
  }
  return out;
}
