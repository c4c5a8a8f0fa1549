/**
 * Turns the trained TypeScript models into the ONNX graphs of the example's contracts
 * (see contracts.ts): the graph shapes follow what skl2onnx writes for the same scikit-learn models.
 */
import type { onnx as OnnxTypes } from 'onnx-proto';
import { EMPLOYMENT_STATUSES } from '../generate.js';
import { AFFORDABILITY, AFFORDABILITY_NUMERIC_COLUMNS, FRAUD, THIN_FILE } from './contracts.js';
import type { ModelContract, TensorElement, TensorSignature } from './contracts.js';
import type { GbtModel, TreeNode } from './gbt.js';
import type { LogisticModel } from './logistic.js';
import type { MlpModel } from './mlp.js';
import {
  ElementType,
  ML_DOMAIN,
  attr,
  floatTensor,
  int64Tensor,
  modelProto,
  node,
  tensorValueInfo,
  zipMapValueInfo,
} from './onnx-writer.js';

const ELEMENT: Readonly<Record<TensorElement, ElementType>> = {
  float32: ElementType.FLOAT,
  int64: ElementType.INT64,
  string: ElementType.STRING,
};

function valueInfos(signatures: ModelContract['inputs'] | ModelContract['outputs']): OnnxTypes.IValueInfoProto[] {
  return signatures.map((s) => (s.kind === 'zipmap' ? zipMapValueInfo(s.name) : tensorValueInfo(s.name, ELEMENT[s.type], s.shape)));
}

function tensorSignature(contract: ModelContract, name: string): TensorSignature {
  const found = [...contract.inputs, ...contract.outputs].find((s) => s.name === name);
  if (found?.kind !== 'tensor') throw new RangeError(`${contract.file} has no tensor named "${name}"`);
  return found;
}

/** The flattened TreeEnsemble attribute arrays of one ensemble, numbered like skl2onnx (pre-order). */
interface TreeArrays {
  readonly treeIds: number[];
  readonly nodeIds: number[];
  readonly featureIds: number[];
  readonly modes: string[];
  readonly values: number[];
  readonly trueIds: number[];
  readonly falseIds: number[];
  readonly leafTreeIds: number[];
  readonly leafNodeIds: number[];
  readonly leafWeights: number[];
}

function flattenTrees(trees: readonly TreeNode[]): TreeArrays {
  const a: TreeArrays = {
    treeIds: [],
    nodeIds: [],
    featureIds: [],
    modes: [],
    values: [],
    trueIds: [],
    falseIds: [],
    leafTreeIds: [],
    leafNodeIds: [],
    leafWeights: [],
  };
  trees.forEach((root, treeId) => {
    let next = 0;
    const visit = (n: TreeNode): number => {
      const id = next++;
      const at = a.nodeIds.length;
      a.treeIds.push(treeId);
      a.nodeIds.push(id);
      if (n.kind === 'leaf') {
        a.featureIds.push(0);
        a.modes.push('LEAF');
        a.values.push(0);
        a.trueIds.push(0);
        a.falseIds.push(0);
        a.leafTreeIds.push(treeId);
        a.leafNodeIds.push(id);
        a.leafWeights.push(n.value);
        return id;
      }
      a.featureIds.push(n.feature);
      a.modes.push('BRANCH_LEQ');
      a.values.push(n.threshold);
      a.trueIds.push(0);
      a.falseIds.push(0);
      // Children are numbered after their parent's row exists; patch the parent's links.
      a.trueIds[at] = visit(n.left);
      a.falseIds[at] = visit(n.right);
      return id;
    };
    visit(root);
  });
  return a;
}

/**
 * A binary gradient-boosting classifier as skl2onnx writes one: TreeEnsembleClassifier (class 1's
 * score = base log-odds + leaf weights, LOGISTIC) giving `label` and `probabilities`, then
 * Cast(label) to `output_label` and ZipMap(probabilities) to `output_probability`.
 */
export function gbtClassifierModel(model: GbtModel, contract: ModelContract, docString: string): OnnxTypes.ModelProto {
  const input = tensorSignature(contract, 'features');
  if (input.shape[1] !== model.features) {
    throw new RangeError(`${contract.file} declares ${String(input.shape[1])} features but the ensemble uses ${model.features}`);
  }
  const t = flattenTrees(model.trees);
  const ensemble = node(
    'TreeEnsembleClassifier',
    ['features'],
    ['label', 'probabilities'],
    {
      base_values: attr.floats([model.baseLogit]),
      class_ids: attr.ints(t.leafNodeIds.map(() => 0)),
      class_nodeids: attr.ints(t.leafNodeIds),
      class_treeids: attr.ints(t.leafTreeIds),
      class_weights: attr.floats(t.leafWeights),
      classlabels_int64s: attr.ints([0, 1]),
      nodes_falsenodeids: attr.ints(t.falseIds),
      nodes_featureids: attr.ints(t.featureIds),
      nodes_hitrates: attr.floats(t.nodeIds.map(() => 1)),
      nodes_missing_value_tracks_true: attr.ints(t.nodeIds.map(() => 0)),
      nodes_modes: attr.strings(t.modes),
      nodes_nodeids: attr.ints(t.nodeIds),
      nodes_treeids: attr.ints(t.treeIds),
      nodes_truenodeids: attr.ints(t.trueIds),
      nodes_values: attr.floats(t.values),
      post_transform: attr.string('LOGISTIC'),
    },
    { name: 'TreeEnsembleClassifier', domain: ML_DOMAIN },
  );
  return modelProto({
    graphName: contract.file.replace(/\.onnx$/, ''),
    docString,
    nodes: [
      ensemble,
      node('Cast', ['label'], ['output_label'], { to: attr.int(ElementType.INT64) }, { name: 'Cast' }),
      node('ZipMap', ['probabilities'], ['output_probability'], { classlabels_int64s: attr.ints([0, 1]) }, { name: 'ZipMap', domain: ML_DOMAIN }),
    ],
    inputs: valueInfos(contract.inputs),
    outputs: valueInfos(contract.outputs),
  });
}

/**
 * The thin-file logistic regression as one LinearClassifier with two score rows (-w, -b) and
 * (w, b): after LOGISTIC they are exactly [1 - p, p], so no Normalizer is needed.
 */
export function thinFileModel(model: LogisticModel, docString: string): OnnxTypes.ModelProto {
  const w = model.coefficients;
  return modelProto({
    graphName: 'thin-file',
    docString,
    nodes: [
      node(
        'LinearClassifier',
        ['features'],
        ['label', 'probabilities'],
        {
          classlabels_ints: attr.ints([0, 1]),
          coefficients: attr.floats([...w.map((c) => -c), ...w]),
          intercepts: attr.floats([-model.intercept, model.intercept]),
          multi_class: attr.int(0),
          post_transform: attr.string('LOGISTIC'),
        },
        { name: 'LinearClassifier', domain: ML_DOMAIN },
      ),
    ],
    inputs: valueInfos(THIN_FILE.inputs),
    outputs: valueInfos(THIN_FILE.outputs),
  });
}

/**
 * The affordability logistic regression over [numeric (3 columns), one-hot employment (5 columns)]:
 * OneHotEncoder gives [N, 1, 5], Reshape makes it [N, 5], Concat, then Gemm and Sigmoid.
 */
export function affordabilityModel(model: LogisticModel, docString: string): OnnxTypes.ModelProto {
  const features = AFFORDABILITY_NUMERIC_COLUMNS.length + EMPLOYMENT_STATUSES.length;
  if (model.coefficients.length !== features) {
    throw new RangeError(`affordability needs ${features} coefficients, the model has ${model.coefficients.length}`);
  }
  return modelProto({
    graphName: 'affordability',
    docString,
    nodes: [
      node(
        'OneHotEncoder',
        ['employment'],
        ['employment_onehot3d'],
        { cats_strings: attr.strings(EMPLOYMENT_STATUSES), zeros: attr.int(1) },
        { name: 'OneHotEncoder', domain: ML_DOMAIN },
      ),
      node('Reshape', ['employment_onehot3d', 'onehot_shape'], ['employment_onehot'], {}, { name: 'Reshape' }),
      node('Concat', ['numeric', 'employment_onehot'], ['x'], { axis: attr.int(1) }, { name: 'Concat' }),
      node('Gemm', ['x', 'coefficients', 'intercept'], ['logit'], {}, { name: 'Gemm' }),
      node('Sigmoid', ['logit'], ['probability'], {}, { name: 'Sigmoid' }),
    ],
    initializers: [
      int64Tensor('onehot_shape', [2], [-1, EMPLOYMENT_STATUSES.length]),
      floatTensor('coefficients', [features, 1], model.coefficients),
      floatTensor('intercept', [1], [model.intercept]),
    ],
    inputs: valueInfos(AFFORDABILITY.inputs),
    outputs: valueInfos(AFFORDABILITY.outputs),
  });
}

/**
 * The network inputs of the fraud model for one row of [emailAgeDays, ipCountryMismatch,
 * annualIncome, applications30d]: log(1 + x) of each, which tames the long tails of e-mail age,
 * income and application counts. The graph computes the same with Add and Log.
 */
export function fraudNetworkInputs(raw: readonly number[]): number[] {
  return raw.map((v) => Math.log(1 + v));
}

/**
 * The fraud MLP: Cast(applications_30d) to float, Concat with `signals`, Log(1 + x), standardise
 * (Sub, Div), Gemm + Relu, Gemm + Sigmoid.
 */
export function fraudModel(model: MlpModel, docString: string): OnnxTypes.ModelProto {
  const d = model.mean.length;
  const h = model.b1.length;
  return modelProto({
    graphName: 'fraud',
    docString,
    nodes: [
      node('Cast', ['applications_30d'], ['applications_float'], { to: attr.int(ElementType.FLOAT) }, { name: 'Cast' }),
      node('Concat', ['signals', 'applications_float'], ['raw'], { axis: attr.int(1) }, { name: 'Concat' }),
      node('Add', ['raw', 'one'], ['raw_plus_one'], {}, { name: 'Add' }),
      node('Log', ['raw_plus_one'], ['logged'], {}, { name: 'Log' }),
      node('Sub', ['logged', 'mean'], ['centred'], {}, { name: 'Sub' }),
      node('Div', ['centred', 'scale'], ['standardised'], {}, { name: 'Div' }),
      node('Gemm', ['standardised', 'w1', 'b1'], ['hidden_pre'], {}, { name: 'Gemm_hidden' }),
      node('Relu', ['hidden_pre'], ['hidden'], {}, { name: 'Relu' }),
      node('Gemm', ['hidden', 'w2', 'b2'], ['logit'], {}, { name: 'Gemm_output' }),
      node('Sigmoid', ['logit'], ['fraud_probability'], {}, { name: 'Sigmoid' }),
    ],
    initializers: [
      floatTensor('one', [1], [1]),
      floatTensor('mean', [d], model.mean),
      floatTensor('scale', [d], model.scale),
      floatTensor('w1', [d, h], model.w1),
      floatTensor('b1', [h], model.b1),
      floatTensor('w2', [h, 1], model.w2),
      floatTensor('b2', [1], [model.b2]),
    ],
    inputs: valueInfos(FRAUD.inputs),
    outputs: valueInfos(FRAUD.outputs),
  });
}
