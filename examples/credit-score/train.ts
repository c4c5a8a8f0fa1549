/**
 * Trains the credit-score example's five ONNX models on synthetic applicants, verifies each one in
 * onnxruntime-node against the TypeScript model it was exported from, and writes them together
 * with the demo CSV. Re-running it reproduces every file byte for byte.
 *
 *   npx tsx examples/credit-score/train.ts [--out DIR] [--csv FILE]
 *
 * (`npm run example:train` runs the same with the defaults: models/ and applicants.csv beside this
 * file.)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { EMPLOYMENT_STATUSES, generateApplicants } from './generate.js';
import type { Applicant } from './generate.js';
import {
  AFFORDABILITY,
  AFFORDABILITY_NUMERIC_COLUMNS,
  FRAUD,
  FRAUD_SIGNAL_COLUMNS,
  REPAYMENT_V1,
  REPAYMENT_V1_COLUMNS,
  REPAYMENT_V2,
  REPAYMENT_V2_COLUMNS,
  THIN_FILE,
  THIN_FILE_COLUMNS,
  THIN_FILE_HISTORY_MONTHS,
  featureRow,
} from './lib/contracts.js';
import type { FeatureName, ModelContract } from './lib/contracts.js';
import { applicantsCsv } from './lib/csv.js';
import { predictGbt, trainGbt } from './lib/gbt.js';
import type { GbtOptions } from './lib/gbt.js';
import { predictLogistic, trainLogistic } from './lib/logistic.js';
import type { LogisticOptions } from './lib/logistic.js';
import { toMatrix } from './lib/matrix.js';
import type { Matrix } from './lib/matrix.js';
import { auc, logLoss, maxAbsDiff } from './lib/metrics.js';
import { predictMlp, trainMlp } from './lib/mlp.js';
import type { MlpOptions } from './lib/mlp.js';
import { affordabilityModel, fraudModel, fraudNetworkInputs, gbtClassifierModel, thinFileModel } from './lib/onnx-models.js';
import { encodeModel } from './lib/onnx-writer.js';
import {
  affordabilityFeeds,
  exposeOutputs,
  featureTensor,
  fraudFeeds,
  int64Values,
  runModel,
  tensorColumn,
} from './lib/ort-run.js';

/** Seed and size of the training population. */
export const TRAINING = { seed: 20261128, count: 20000 } as const;
/** Seed and size of the holdout population the metrics and the verification use. */
export const HOLDOUT = { seed: 20261129, count: 5000 } as const;
/** Seed and size of the demo CSV. */
export const DEMO_CSV = { seed: 7, count: 1000 } as const;

/** repayment-v1's training parameters. */
export const REPAYMENT_V1_GBT: GbtOptions = { trees: 60, maxDepth: 3, learningRate: 0.1, minSamplesLeaf: 20, maxBins: 64, l2: 1 };
/** repayment-v2's training parameters: more and deeper trees, a smaller step. */
export const REPAYMENT_V2_GBT: GbtOptions = { trees: 120, maxDepth: 4, learningRate: 0.08, minSamplesLeaf: 20, maxBins: 64, l2: 1 };
/** Both logistic regressions' training parameters. */
export const LOGISTIC: LogisticOptions = { iterations: 25, l2: 1 };
/** The fraud network's training parameters. */
export const FRAUD_MLP: MlpOptions = { hidden: 8, epochs: 30, batchSize: 256, learningRate: 0.01, seed: 1128 };

/** The largest difference allowed between onnxruntime's and the TypeScript model's probabilities. */
export const VERIFY_TOLERANCE = 1e-5;

/** Holdout quality of one model, next to the ceiling set by the true probabilities. */
export interface ModelMetrics {
  readonly file: string;
  /** The label the model predicts. */
  readonly target: 'defaulted' | 'unaffordable' | 'fraud';
  /** Holdout rows the model was scored on (thin-file: only thin-file applicants). */
  readonly rows: number;
  readonly positives: number;
  readonly auc: number;
  readonly logLoss: number;
  /** AUC of the generator's true probability on the same rows: the best any model can expect. */
  readonly trueAuc: number;
  readonly trueLogLoss: number;
  /** Largest |onnxruntime - TypeScript| probability on the holdout. */
  readonly maxAbsDiff: number;
}

/** A file the trainer wrote. */
export interface WrittenFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** What {@link train} did. */
export interface TrainReport {
  readonly metrics: readonly ModelMetrics[];
  readonly files: readonly WrittenFile[];
}

/** Where {@link train} writes. */
export interface TrainOptions {
  /** Directory for the five .onnx files; created if missing. */
  readonly outDir: string;
  /** Path of the demo CSV; its directory is created if missing. */
  readonly csvPath: string;
  /** Receives the progress and the metrics table; default: console.log. */
  readonly log?: (line: string) => void;
}

interface BuiltModel {
  readonly contract: ModelContract;
  readonly bytes: Uint8Array;
  readonly metrics: ModelMetrics;
}

const labels = (applicants: readonly Applicant[], target: ModelMetrics['target']): Uint8Array =>
  Uint8Array.from(applicants, (a) => (a[target] ? 1 : 0));

const trueProbability = (a: Applicant, target: ModelMetrics['target']): number =>
  target === 'defaulted' ? a.trueDefaultProbability : target === 'unaffordable' ? a.trueUnaffordableProbability : a.trueFraudProbability;

const matrixOf = (applicants: readonly Applicant[], columns: readonly FeatureName[]): Matrix =>
  toMatrix(
    applicants.map((a) => featureRow(a, columns)),
    columns.length,
  );

/**
 * Checks onnxruntime's probabilities (and labels, where the model has them) against the TypeScript
 * model's, then scores the model on the holdout.
 */
function evaluate(
  contract: ModelContract,
  target: ModelMetrics['target'],
  holdout: readonly Applicant[],
  expected: Float64Array,
  actual: Float64Array,
  actualLabels?: readonly number[],
): ModelMetrics {
  const diff = maxAbsDiff(expected, actual);
  if (!(diff <= VERIFY_TOLERANCE)) {
    throw new Error(`${contract.file}: onnxruntime differs from the TypeScript model by ${diff} (tolerance ${VERIFY_TOLERANCE})`);
  }
  actualLabels?.forEach((label, i) => {
    const p = expected[i]!;
    // Within float32 noise of 0.5 the two sides may round differently; elsewhere they must agree.
    if (Math.abs(p - 0.5) > 1e-6 && label !== (p > 0.5 ? 1 : 0)) {
      throw new Error(`${contract.file}: onnxruntime labels row ${i} ${label} but P(1) = ${p}`);
    }
  });
  const y = labels(holdout, target);
  const truth = Float64Array.from(holdout, (a) => trueProbability(a, target));
  return {
    file: contract.file,
    target,
    rows: holdout.length,
    positives: y.reduce((s, v) => s + v, 0),
    auc: auc(actual, y),
    logLoss: logLoss(actual, y),
    trueAuc: auc(truth, y),
    trueLogLoss: logLoss(truth, y),
    maxAbsDiff: diff,
  };
}

const trainingNote = (what: string): string =>
  `${what} Trained by examples/credit-score/train.ts on ${TRAINING.count} synthetic applicants (seed ${TRAINING.seed}).`;

async function buildRepayment(
  contract: ModelContract,
  columns: readonly FeatureName[],
  options: GbtOptions,
  trainSet: readonly Applicant[],
  holdout: readonly Applicant[],
): Promise<BuiltModel> {
  const model = trainGbt(matrixOf(trainSet, columns), labels(trainSet, 'defaulted'), options);
  const doc = trainingNote(
    `P(default) of a credit applicant (class 1 = default): gradient-boosted trees (${options.trees} trees, depth ${options.maxDepth}, ` +
      `learning rate ${options.learningRate}). Input "features" float32 [N, ${columns.length}] = [${columns.join(', ')}].`,
  );
  const bytes = encodeModel(gbtClassifierModel(model, contract, doc));
  const out = await runModel(exposeOutputs(bytes, ['probabilities'], 2), { features: featureTensor(holdout, columns) }, [
    'output_label',
    'probabilities',
  ]);
  const expected = predictGbt(model, matrixOf(holdout, columns));
  const actual = tensorColumn(out.probabilities!, 1);
  const metrics = evaluate(contract, 'defaulted', holdout, expected, actual, int64Values(out.output_label!));
  return { contract, bytes, metrics };
}

async function buildThinFile(trainSet: readonly Applicant[], holdout: readonly Applicant[]): Promise<BuiltModel> {
  const thin = (a: Applicant): boolean => a.creditHistoryMonths < THIN_FILE_HISTORY_MONTHS;
  const thinTrain = trainSet.filter(thin);
  const thinHoldout = holdout.filter(thin);
  const model = trainLogistic(matrixOf(thinTrain, THIN_FILE_COLUMNS), labels(thinTrain, 'defaulted'), LOGISTIC);
  const doc = trainingNote(
    `P(default) for thin-file applicants (creditHistoryMonths < ${THIN_FILE_HISTORY_MONTHS}): logistic regression on ` +
      `${thinTrain.length} of them. Input "features" float32 [N, 4] = [${THIN_FILE_COLUMNS.join(', ')}]; ` +
      `output "probabilities" [N, 2] (column 1 = P(default)).`,
  );
  const bytes = encodeModel(thinFileModel(model, doc));
  const out = await runModel(bytes, { features: featureTensor(thinHoldout, THIN_FILE_COLUMNS) }, ['label', 'probabilities']);
  const expected = predictLogistic(model, matrixOf(thinHoldout, THIN_FILE_COLUMNS));
  const probabilities = out.probabilities!;
  const complement = maxAbsDiff(
    tensorColumn(probabilities, 0),
    expected.map((p) => 1 - p),
  );
  if (!(complement <= VERIFY_TOLERANCE)) throw new Error(`thin-file.onnx: column 0 is not 1 - P(default) (off by ${complement})`);
  const metrics = evaluate(THIN_FILE, 'defaulted', thinHoldout, expected, tensorColumn(probabilities, 1), int64Values(out.label!));
  return { contract: THIN_FILE, bytes, metrics };
}

/** Affordability's training row: the numeric columns, then the employment status one-hot. */
function affordabilityRow(a: Applicant): number[] {
  return [...featureRow(a, AFFORDABILITY_NUMERIC_COLUMNS), ...EMPLOYMENT_STATUSES.map((s) => (s === a.employment ? 1 : 0))];
}

async function buildAffordability(trainSet: readonly Applicant[], holdout: readonly Applicant[]): Promise<BuiltModel> {
  const width = AFFORDABILITY_NUMERIC_COLUMNS.length + EMPLOYMENT_STATUSES.length;
  const model = trainLogistic(toMatrix(trainSet.map(affordabilityRow), width), labels(trainSet, 'unaffordable'), LOGISTIC);
  const doc = trainingNote(
    `P(the loan is unaffordable): logistic regression. Inputs "numeric" float32 [N, 3] = ` +
      `[${AFFORDABILITY_NUMERIC_COLUMNS.join(', ')}] and "employment" string [N, 1] (one of ${EMPLOYMENT_STATUSES.join(', ')}).`,
  );
  const bytes = encodeModel(affordabilityModel(model, doc));
  const out = await runModel(bytes, affordabilityFeeds(holdout), ['probability']);
  const expected = predictLogistic(model, toMatrix(holdout.map(affordabilityRow), width));
  const metrics = evaluate(AFFORDABILITY, 'unaffordable', holdout, expected, tensorColumn(out.probability!, 0));
  return { contract: AFFORDABILITY, bytes, metrics };
}

const fraudMatrix = (applicants: readonly Applicant[]): Matrix =>
  toMatrix(
    applicants.map((a) => fraudNetworkInputs(featureRow(a, [...FRAUD_SIGNAL_COLUMNS, 'applications30d']))),
    FRAUD_SIGNAL_COLUMNS.length + 1,
  );

async function buildFraud(trainSet: readonly Applicant[], holdout: readonly Applicant[]): Promise<BuiltModel> {
  const model = trainMlp(fraudMatrix(trainSet), labels(trainSet, 'fraud'), FRAUD_MLP);
  const doc = trainingNote(
    `P(fraud): an MLP (log(1 + x), standardise, ${FRAUD_MLP.hidden} ReLU units, sigmoid) trained with Adam. Inputs "signals" ` +
      `float32 [N, 3] = [${FRAUD_SIGNAL_COLUMNS.join(', ')}] (ipCountryMismatch as 0/1) and "applications_30d" int64 [N, 1].`,
  );
  const bytes = encodeModel(fraudModel(model, doc));
  const out = await runModel(bytes, fraudFeeds(holdout), ['fraud_probability']);
  const expected = predictMlp(model, fraudMatrix(holdout));
  const metrics = evaluate(FRAUD, 'fraud', holdout, expected, tensorColumn(out.fraud_probability!, 0));
  return { contract: FRAUD, bytes, metrics };
}

function writeFile(path: string, content: Uint8Array | string): WrittenFile {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return { path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The holdout metrics as a Markdown table (the one in README.md). */
export function metricsTable(metrics: readonly ModelMetrics[]): string {
  const f = (x: number): string => x.toFixed(4);
  const rows = metrics.map(
    (m) =>
      `| ${m.file} | ${m.target} | ${m.rows} | ${m.positives} | ${f(m.auc)} | ${f(m.logLoss)} | ${f(m.trueAuc)} | ${f(m.trueLogLoss)} | ${m.maxAbsDiff.toExponential(1)} |`,
  );
  return [
    '| model | target | holdout rows | positives | AUC | log-loss | true-p AUC | true-p log-loss | max abs diff (ORT vs TS) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

/**
 * Generates the data, trains and verifies every model, then writes the models to `outDir` and the
 * demo CSV to `csvPath`. Nothing is written unless every model passed its verification.
 */
export async function train(options: TrainOptions): Promise<TrainReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const trainSet = generateApplicants(TRAINING.count, TRAINING.seed);
  const holdout = generateApplicants(HOLDOUT.count, HOLDOUT.seed);
  log(`generated ${trainSet.length} training applicants (seed ${TRAINING.seed}) and ${holdout.length} holdout (seed ${HOLDOUT.seed})`);

  const built: BuiltModel[] = [];
  built.push(await buildRepayment(REPAYMENT_V1, REPAYMENT_V1_COLUMNS, REPAYMENT_V1_GBT, trainSet, holdout));
  built.push(await buildRepayment(REPAYMENT_V2, REPAYMENT_V2_COLUMNS, REPAYMENT_V2_GBT, trainSet, holdout));
  built.push(await buildThinFile(trainSet, holdout));
  built.push(await buildAffordability(trainSet, holdout));
  built.push(await buildFraud(trainSet, holdout));
  for (const b of built) log(`verified ${b.contract.file} in onnxruntime (max abs diff ${b.metrics.maxAbsDiff.toExponential(2)})`);

  const files = built.map((b) => writeFile(join(options.outDir, b.contract.file), b.bytes));
  files.push(writeFile(options.csvPath, applicantsCsv(generateApplicants(DEMO_CSV.count, DEMO_CSV.seed))));
  for (const f of files) log(`wrote ${relative(process.cwd(), f.path)} (${f.bytes} bytes, sha256 ${f.sha256})`);
  const metrics = built.map((b) => b.metrics);
  log('');
  log(metricsTable(metrics));
  return { metrics, files };
}

const here = dirname(fileURLToPath(import.meta.url));

/** The default output directory: models/ beside this file. */
export const DEFAULT_OUT_DIR = join(here, 'models');
/** The default demo CSV path: applicants.csv beside this file. */
export const DEFAULT_CSV_PATH = join(here, 'applicants.csv');

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { out: { type: 'string' }, csv: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log('usage: tsx examples/credit-score/train.ts [--out DIR] [--csv FILE]');
    console.log(`  --out DIR   where the .onnx files go (default ${DEFAULT_OUT_DIR})`);
    console.log(`  --csv FILE  where the demo CSV goes (default ${DEFAULT_CSV_PATH})`);
    return;
  }
  await train({ outDir: resolve(values.out ?? DEFAULT_OUT_DIR), csvPath: resolve(values.csv ?? DEFAULT_CSV_PATH) });
}

// Run only as a script, not when a test imports train().
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
