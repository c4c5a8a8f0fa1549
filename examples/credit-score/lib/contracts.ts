/**
 * The contract of each example model: its file name, the columns of its input tensors and the
 * names, element types and shapes of its inputs and outputs.
 *
 * The product's pipeline file relies on these signatures, so the ONNX writer and the tests both
 * read them from here instead of repeating them.
 */
import { deriveFeatures } from '../generate.js';
import type { ApplicantInput } from '../generate.js';
import type { Dim } from './onnx-writer.js';

/** The numeric values a model column can hold, by name. */
export interface NumericFeatures {
  readonly age: number;
  readonly annualIncome: number;
  readonly debtToIncome: number;
  readonly loanToIncome: number;
  readonly creditUtilization: number;
  readonly creditHistoryMonths: number;
  readonly delinquencies2y: number;
  readonly openAccounts: number;
  readonly loanTermMonths: number;
  readonly emailAgeDays: number;
  /** 1 when the IP country differs from the country of residence, else 0. */
  readonly ipCountryMismatch: number;
  readonly applications30d: number;
}

/** The name of a numeric column. */
export type FeatureName = keyof NumericFeatures;

/** All numeric columns of an applicant, in float64, with the derived features from {@link deriveFeatures}. */
export function numericFeatures(a: ApplicantInput): NumericFeatures {
  const { debtToIncome, loanToIncome } = deriveFeatures(a);
  return {
    age: a.age,
    annualIncome: a.annualIncome,
    debtToIncome,
    loanToIncome,
    creditUtilization: a.creditUtilization,
    creditHistoryMonths: a.creditHistoryMonths,
    delinquencies2y: a.delinquencies2y,
    openAccounts: a.openAccounts,
    loanTermMonths: a.loanTermMonths,
    emailAgeDays: a.emailAgeDays,
    ipCountryMismatch: a.ipCountryMismatch ? 1 : 0,
    applications30d: a.applications30d,
  };
}

/** One row of a model input: the named columns of `a`, in order. */
export function featureRow(a: ApplicantInput, columns: readonly FeatureName[]): number[] {
  const f = numericFeatures(a);
  return columns.map((c) => f[c]);
}

/** Columns of repayment-v1's `features` input. */
export const REPAYMENT_V1_COLUMNS = [
  'age',
  'annualIncome',
  'debtToIncome',
  'creditUtilization',
  'creditHistoryMonths',
  'delinquencies2y',
  'loanToIncome',
] as const satisfies readonly FeatureName[];

/** Columns of repayment-v2's `features` input: v1's plus `openAccounts`. */
export const REPAYMENT_V2_COLUMNS = [...REPAYMENT_V1_COLUMNS, 'openAccounts'] as const satisfies readonly FeatureName[];

/** Columns of thin-file's `features` input. */
export const THIN_FILE_COLUMNS = ['age', 'annualIncome', 'debtToIncome', 'loanToIncome'] as const satisfies readonly FeatureName[];

/** The thin-file model is meant for (and trained on) applicants with fewer credit-history months than this. */
export const THIN_FILE_HISTORY_MONTHS = 12;

/** Columns of affordability's `numeric` input (its `employment` input is the string status). */
export const AFFORDABILITY_NUMERIC_COLUMNS = ['debtToIncome', 'loanToIncome', 'loanTermMonths'] as const satisfies readonly FeatureName[];

/** Columns of fraud's `signals` input (its `applications_30d` input is `applications30d` as int64). */
export const FRAUD_SIGNAL_COLUMNS = ['emailAgeDays', 'ipCountryMismatch', 'annualIncome'] as const satisfies readonly FeatureName[];

/** Element types as onnxruntime-node's metadata names them. */
export type TensorElement = 'float32' | 'int64' | 'string';

/** A tensor input or output; a `null` dimension is dynamic (onnxruntime reports it as ""). */
export interface TensorSignature {
  readonly kind: 'tensor';
  readonly name: string;
  readonly type: TensorElement;
  readonly shape: readonly Dim[];
}

/** A ZipMap output: seq(map(int64, float)), which onnxruntime-node reports as a non-tensor. */
export interface ZipMapSignature {
  readonly kind: 'zipmap';
  readonly name: string;
}

/** The file name and signature of one model. */
export interface ModelContract {
  readonly file: string;
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly (TensorSignature | ZipMapSignature)[];
}

const tensor = (name: string, type: TensorElement, shape: readonly Dim[]): TensorSignature => ({ kind: 'tensor', name, type, shape });

const zipMapClassifierOutputs = [tensor('output_label', 'int64', [null]), { kind: 'zipmap', name: 'output_probability' }] as const;

/** Gradient-boosted trees, P(default) from seven features, ending in ZipMap like skl2onnx. */
export const REPAYMENT_V1: ModelContract = {
  file: 'repayment-v1.onnx',
  inputs: [tensor('features', 'float32', [null, REPAYMENT_V1_COLUMNS.length])],
  outputs: zipMapClassifierOutputs,
};

/** The retrained successor of repayment-v1, with `openAccounts` as an eighth feature. */
export const REPAYMENT_V2: ModelContract = {
  file: 'repayment-v2.onnx',
  inputs: [tensor('features', 'float32', [null, REPAYMENT_V2_COLUMNS.length])],
  outputs: zipMapClassifierOutputs,
};

/** Logistic regression for applicants with a thin credit file; probabilities as a tensor. */
export const THIN_FILE: ModelContract = {
  file: 'thin-file.onnx',
  inputs: [tensor('features', 'float32', [null, THIN_FILE_COLUMNS.length])],
  outputs: [tensor('label', 'int64', [null]), tensor('probabilities', 'float32', [null, 2])],
};

/** Logistic regression for P(unaffordable), with the employment status one-hot encoded in the graph. */
export const AFFORDABILITY: ModelContract = {
  file: 'affordability.onnx',
  inputs: [
    tensor('numeric', 'float32', [null, AFFORDABILITY_NUMERIC_COLUMNS.length]),
    tensor('employment', 'string', [null, 1]),
  ],
  outputs: [tensor('probability', 'float32', [null, 1])],
};

/** A tiny MLP for P(fraud). */
export const FRAUD: ModelContract = {
  file: 'fraud.onnx',
  inputs: [tensor('signals', 'float32', [null, FRAUD_SIGNAL_COLUMNS.length]), tensor('applications_30d', 'int64', [null, 1])],
  outputs: [tensor('fraud_probability', 'float32', [null, 1])],
};

/** Every model of the example, in the order the trainer writes them. */
export const MODEL_CONTRACTS: readonly ModelContract[] = [REPAYMENT_V1, REPAYMENT_V2, THIN_FILE, AFFORDABILITY, FRAUD];
