/**
 * The bundled example's sub-models, called directly with onnxruntime-node: what the raw limit (a)
 * and the hand-written peer (b) run. The same model files as the pipeline (ZipMap rewritten the
 * way the loader does, as a user would export with zipmap=False), the same features, the same
 * thin-file rule; no versions, no split.
 */
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import type { ApplicantInput } from '../examples/credit-score/generate.js';
import {
  AFFORDABILITY_NUMERIC_COLUMNS,
  FRAUD_SIGNAL_COLUMNS,
  REPAYMENT_V1_COLUMNS,
  THIN_FILE_COLUMNS,
  THIN_FILE_HISTORY_MONTHS,
  featureRow,
  type FeatureName,
} from '../examples/credit-score/lib/contracts.js';
import { readOnnxModel } from '../src/nodes/onnx/signature.js';

const MODELS = new URL('../examples/credit-score/models/', import.meta.url);

export interface Models {
  readonly repayment: ort.InferenceSession;
  readonly thinFile: ort.InferenceSession;
  readonly affordability: ort.InferenceSession;
  readonly fraud: ort.InferenceSession;
}

export async function loadModels(): Promise<Models> {
  const open = async (file: string) => {
    const read = readOnnxModel(readFileSync(new URL(file, MODELS)));
    if (!read.ok) throw new Error(read.reason);
    return ort.InferenceSession.create(read.bytes, { executionMode: 'sequential', intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  };
  return {
    repayment: await open('repayment-v1.onnx'),
    thinFile: await open('thin-file.onnx'),
    affordability: await open('affordability.onnx'),
    fraud: await open('fraud.onnx'),
  };
}

const matrix = (rows: readonly ApplicantInput[], columns: readonly FeatureName[]) =>
  new ort.Tensor('float32', Float32Array.from(rows.flatMap((a) => featureRow(a, columns))), [rows.length, columns.length]);

/** Scores rows with one run per model for the whole list; returns P(default), P(unaffordable), P(fraud) per row. */
export async function scoreRows(models: Models, rows: readonly ApplicantInput[]): Promise<{ pd: number; unaffordable: number; fraud: number }[]> {
  const thin = rows.filter((a) => a.creditHistoryMonths < THIN_FILE_HISTORY_MONTHS);
  const full = rows.filter((a) => a.creditHistoryMonths >= THIN_FILE_HISTORY_MONTHS);
  const [repayment, thinFile, affordability, fraud] = await Promise.all([
    full.length > 0 ? models.repayment.run({ features: matrix(full, REPAYMENT_V1_COLUMNS) }, ['output_probability']) : undefined,
    thin.length > 0 ? models.thinFile.run({ features: matrix(thin, THIN_FILE_COLUMNS) }, ['probabilities']) : undefined,
    models.affordability.run(
      { numeric: matrix(rows, AFFORDABILITY_NUMERIC_COLUMNS), employment: new ort.Tensor('string', rows.map((a) => a.employment), [rows.length, 1]) },
      ['probability'],
    ),
    models.fraud.run(
      { signals: matrix(rows, FRAUD_SIGNAL_COLUMNS), applications_30d: new ort.Tensor('int64', BigInt64Array.from(rows.map((a) => BigInt(a.applications30d))), [rows.length, 1]) },
      ['fraud_probability'],
    ),
  ]);
  const fullP = repayment?.output_probability?.data as Float32Array | undefined;
  const thinP = thinFile?.probabilities?.data as Float32Array | undefined;
  let f = 0;
  let t = 0;
  return rows.map((a, i) => ({
    pd: a.creditHistoryMonths < THIN_FILE_HISTORY_MONTHS ? (thinP?.[2 * t++ + 1] as number) : (fullP?.[2 * f++ + 1] as number),
    unaffordable: (affordability.probability?.data as Float32Array)[i] as number,
    fraud: (fraud.fraud_probability?.data as Float32Array)[i] as number,
  }));
}

/** The bundled pipeline's scorecard, grade and decision, written out by hand. */
export function scorecard(a: ApplicantInput, p: { pd: number; unaffordable: number; fraud: number }) {
  const negLogit = (x: number) => {
    const c = Math.min(1 - 1e-9, Math.max(1e-9, x));
    return Math.log((1 - c) / c);
  };
  const z = -1.33 + negLogit(p.pd) + 0.35 * negLogit(p.unaffordable) + 0.25 * negLogit(p.fraud) - 0.5 * a.creditUtilization;
  const factor = 30 / Math.LN2;
  const score = Math.round(Math.min(850, Math.max(300, 560 - factor * Math.log(2) + factor * z)));
  const grade = score >= 760 ? 'A' : score >= 700 ? 'B' : score >= 640 ? 'C' : score >= 580 ? 'D' : 'E';
  const decision = p.fraud > 0.5 ? 'REFER' : score >= 620 ? 'APPROVE' : 'DECLINE';
  return { score, grade, decision, probabilityOfDefault: p.pd };
}
