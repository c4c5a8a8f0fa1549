export type { Random } from './random.js';
export { createRandom, sampleBernoulli, sampleBeta, sampleGamma, sampleNormal } from './random.js';

export type { SampleSummary } from './summary.js';
export {
  EMPTY_SUMMARY,
  addObservation,
  mergeSummaries,
  proportionSummary,
  summarize,
  summaryMean,
  summaryVariance,
} from './summary.js';

export {
  chiSquareCdf,
  chiSquareQuantile,
  chiSquareSf,
  kolmogorovSf,
  lnGamma,
  normalCdf,
  normalPdf,
  normalQuantile,
  normalSf,
  regularizedBeta,
  regularizedGammaP,
  regularizedGammaQ,
  studentTCdf,
  studentTQuantile,
} from './distributions.js';

export type { Interval, WelchInterval } from './intervals.js';
export {
  DEFAULT_CONFIDENCE,
  liftInterval,
  meanDifferenceInterval,
  meanInterval,
  proportionDifferenceInterval,
  wilsonInterval,
} from './intervals.js';

export type { MsprtLook, MsprtOptions, MsprtOutcome, MsprtResult, MsprtTrackerState } from './msprt.js';
export { DEFAULT_MIXING_EFFECT, MsprtTracker, defaultMixingVariance, msprt } from './msprt.js';

export type { SrmOptions, SrmResult } from './srm.js';
export { DEFAULT_SRM_THRESHOLD, sampleRatioMismatch } from './srm.js';

export type { KsResult, PsiOptions, PsiResult } from './drift.js';
export { kolmogorovSmirnovTest, populationStabilityIndex, psiCriticalValue } from './drift.js';

export type { ArmStats, BanditPolicy, BanditPolicyKind, BanditPolicyOptions } from './bandits.js';
export {
  DEFAULT_BANDIT_FLOOR,
  DEFAULT_EPSILON,
  GAUSSIAN_WARMUP_PULLS,
  armProbabilities,
  banditPolicy,
  describeBanditPolicy,
  selectArm,
} from './bandits.js';
