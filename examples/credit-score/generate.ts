/**
 * The synthetic applicant population of the credit-score example and its ground truth.
 *
 * The example's models are trained here, on data we generate, so that the example runs on a fresh
 * machine and so that we know the truth the models try to recover. Every distribution and every
 * ground-truth formula below is restated in README.md; keep the two in step.
 */
import { Rng } from './lib/random.js';
import { clamp, roundTo, sigmoid } from './lib/math.js';

/** Employment statuses, in the order the affordability model one-hot encodes them. */
export const EMPLOYMENT_STATUSES = ['EMPLOYED', 'SELF_EMPLOYED', 'UNEMPLOYED', 'RETIRED', 'STUDENT'] as const;
/** An applicant's employment status. */
export type Employment = (typeof EMPLOYMENT_STATUSES)[number];

/** Housing situations. */
export const HOME_OWNERSHIPS = ['RENT', 'OWN', 'MORTGAGE'] as const;
/** An applicant's housing situation. */
export type HomeOwnership = (typeof HOME_OWNERSHIPS)[number];

/** The loan terms on offer, in months. */
export const LOAN_TERMS = [12, 24, 36, 48, 60] as const;
/** A loan term in months. */
export type LoanTermMonths = (typeof LOAN_TERMS)[number];

/**
 * What an applicant tells us (and what we observe about the application). The field names are the
 * GraphQL input field names of the product's credit-score pipeline.
 */
export interface ApplicantInput {
  /** `A` followed by a six-digit sequence number, e.g. `A000001`. */
  readonly applicantId: string;
  /** Whole years, 18..80. */
  readonly age: number;
  /** Gross yearly income in whole currency units, >= 0 (0 for some students and unemployed). */
  readonly annualIncome: number;
  /** Existing monthly debt service (cards, car, mortgage) in whole currency units, >= 0. */
  readonly monthlyDebtPayments: number;
  /** The requested principal, 500..60000 in steps of 100. */
  readonly loanAmount: number;
  /** The requested term: 12, 24, 36, 48 or 60 months. */
  readonly loanTermMonths: LoanTermMonths;
  /** Months since the first credit line was opened, 0..600. */
  readonly creditHistoryMonths: number;
  /** Payments 30+ days late in the last two years, 0..20. */
  readonly delinquencies2y: number;
  /** Revolving balance over revolving limit, 0..1.2 (above 1 means over the limit), 3 decimals. */
  readonly creditUtilization: number;
  /** Open credit lines, 0..40. */
  readonly openAccounts: number;
  /** Employment status. */
  readonly employment: Employment;
  /** Housing situation. */
  readonly homeOwnership: HomeOwnership;
  /** Days since the applicant's e-mail address was first seen, 0..7300. */
  readonly emailAgeDays: number;
  /** Whether the IP address's country differs from the country of residence. */
  readonly ipCountryMismatch: boolean;
  /** Credit applications seen for this person in the last 30 days (this one excluded), 0..30. */
  readonly applications30d: number;
}

/** The input fields in their canonical order: the CSV header and the GraphQL input order. */
export const APPLICANT_INPUT_FIELDS = [
  'applicantId',
  'age',
  'annualIncome',
  'monthlyDebtPayments',
  'loanAmount',
  'loanTermMonths',
  'creditHistoryMonths',
  'delinquencies2y',
  'creditUtilization',
  'openAccounts',
  'employment',
  'homeOwnership',
  'emailAgeDays',
  'ipCountryMismatch',
  'applications30d',
] as const satisfies readonly (keyof ApplicantInput)[];

/** A generated applicant: the inputs, the true probabilities and the labels drawn from them. */
export interface Applicant extends ApplicantInput {
  /** P(default) under the ground truth, see {@link trueDefaultProbability}. */
  readonly trueDefaultProbability: number;
  /** P(unaffordable) under the ground truth, see {@link trueUnaffordableProbability}. */
  readonly trueUnaffordableProbability: number;
  /** P(fraud) under the ground truth, see {@link trueFraudProbability}. */
  readonly trueFraudProbability: number;
  /** Whether the applicant defaulted: a Bernoulli draw with `trueDefaultProbability`. */
  readonly defaulted: boolean;
  /** Whether the loan turned out unaffordable: a Bernoulli draw with `trueUnaffordableProbability`. */
  readonly unaffordable: boolean;
  /** Whether the application was fraudulent: a Bernoulli draw with `trueFraudProbability`. */
  readonly fraud: boolean;
}

/** The ratios derived from the inputs; the product's pipeline computes the same with CEL. */
export interface DerivedFeatures {
  /** Yearly debt service over yearly income, capped at 5 (5 when there is no income). */
  readonly debtToIncome: number;
  /** Requested principal over yearly income, capped at 10 (10 when there is no income). */
  readonly loanToIncome: number;
}

/**
 * The derived features, in float64. This is the one definition used by training, by the ground
 * truth and (as CEL) by the product's pipeline, so it stays as simple as a CEL expression.
 */
export function deriveFeatures(
  a: Pick<ApplicantInput, 'annualIncome' | 'monthlyDebtPayments' | 'loanAmount'>,
): DerivedFeatures {
  return {
    debtToIncome: a.annualIncome > 0 ? Math.min((a.monthlyDebtPayments * 12) / a.annualIncome, 5) : 5,
    loanToIncome: a.annualIncome > 0 ? Math.min(a.loanAmount / a.annualIncome, 10) : 10,
  };
}

const b = (flag: boolean): number => (flag ? 1 : 0);

/** Intercept of the default logit; sets the population default rate near 12%. */
export const DEFAULT_INTERCEPT = -2.8;

/**
 * The true default log-odds. Besides linear terms it has a threshold on utilization above 0.8,
 * an interaction of a thin credit history with youth and a hinge on many open accounts, so a tree
 * ensemble can beat a linear model and a model that sees `openAccounts` can beat one that does not.
 */
export function trueDefaultLogit(a: ApplicantInput): number {
  const { debtToIncome, loanToIncome } = deriveFeatures(a);
  return (
    DEFAULT_INTERCEPT +
    1.1 * Math.min(debtToIncome, 2) +
    0.22 * Math.min(loanToIncome, 6) +
    0.9 * a.creditUtilization +
    1.3 * b(a.creditUtilization > 0.8) +
    0.5 * Math.min(a.delinquencies2y, 5) -
    0.45 * Math.log(1 + a.annualIncome / 10000) -
    (0.25 * Math.min(a.creditHistoryMonths, 240)) / 60 +
    1.1 * b(a.creditHistoryMonths < 24 && a.age < 25) +
    0.3 * Math.max(0, a.openAccounts - 6) +
    0.6 * b(a.employment === 'UNEMPLOYED')
  );
}

/** The true probability of default: `sigmoid(trueDefaultLogit(a))`. */
export function trueDefaultProbability(a: ApplicantInput): number {
  return sigmoid(trueDefaultLogit(a));
}

/** The yearly interest rate at which affordability assesses the new loan's instalment. */
export const AFFORDABILITY_APR = 0.11;

/** The monthly instalment of an annuity loan of `principal` over `termMonths` at {@link AFFORDABILITY_APR}. */
export function monthlyInstalment(principal: number, termMonths: number): number {
  const i = AFFORDABILITY_APR / 12;
  return (principal * i) / (1 - (1 + i) ** -termMonths);
}

/** Extra log-odds of unaffordability per employment status (irregular or no income). */
export const UNAFFORDABLE_EMPLOYMENT_SHIFT: Readonly<Record<Employment, number>> = {
  EMPLOYED: 0,
  SELF_EMPLOYED: 0.5,
  UNEMPLOYED: 1.5,
  RETIRED: 0.3,
  STUDENT: 1.0,
};

/**
 * The true probability that the loan is unaffordable: driven by the debt-service burden after the
 * loan, (existing payments + new instalment) / monthly income, capped at 3 (3 with no income).
 */
export function trueUnaffordableProbability(a: ApplicantInput): number {
  const burden =
    a.annualIncome > 0
      ? Math.min((a.monthlyDebtPayments + monthlyInstalment(a.loanAmount, a.loanTermMonths)) / (a.annualIncome / 12), 3)
      : 3;
  return sigmoid(-5.7 + 7 * burden + UNAFFORDABLE_EMPLOYMENT_SHIFT[a.employment]);
}

/**
 * The true probability that the application is fraudulent: young e-mail addresses, a foreign IP,
 * many recent applications, and two interactions (foreign IP with a brand-new address; a high
 * declared income with a new address).
 */
export function trueFraudProbability(a: ApplicantInput): number {
  const young = a.emailAgeDays < 30;
  return sigmoid(
    -1.6 -
      0.55 * Math.log(1 + a.emailAgeDays) +
      1.3 * b(a.ipCountryMismatch) +
      0.35 * Math.min(a.applications30d, 10) +
      1.4 * b(a.ipCountryMismatch && young) +
      0.9 * b(a.annualIncome >= 100000 && a.emailAgeDays < 90),
  );
}

function drawAge(rng: Rng): number {
  // 18 + log-normal with median 16 years: skewed young, median age about 34. Redraw rather than
  // clip above 80 so that no mass piles up at the boundary.
  for (;;) {
    const age = 18 + rng.logNormal(16, 0.6);
    if (age < 81) return Math.floor(age);
  }
}

function drawEmployment(rng: Rng, age: number): Employment {
  const w =
    age < 25 ? [0.52, 0.05, 0.1, 0, 0.33] : age < 65 ? [0.76, 0.13, 0.07, 0.01, 0.03] : [0.15, 0.07, 0.03, 0.75, 0];
  return rng.weighted(EMPLOYMENT_STATUSES, w);
}

const INCOME_MEDIAN: Readonly<Record<Employment, number>> = {
  EMPLOYED: 50000,
  SELF_EMPLOYED: 52000,
  UNEMPLOYED: 9000,
  RETIRED: 32000,
  STUDENT: 11000,
};
const INCOME_SIGMA: Readonly<Record<Employment, number>> = {
  EMPLOYED: 0.55,
  SELF_EMPLOYED: 0.85,
  UNEMPLOYED: 0.7,
  RETIRED: 0.5,
  STUDENT: 0.6,
};
const ZERO_INCOME_SHARE: Readonly<Record<Employment, number>> = {
  EMPLOYED: 0,
  SELF_EMPLOYED: 0,
  UNEMPLOYED: 0.45,
  RETIRED: 0,
  STUDENT: 0.35,
};

function drawIncome(rng: Rng, age: number, employment: Employment, stress: number, suspicious: boolean): number {
  // Fraudulent-looking applications sometimes declare an inflated income.
  if (suspicious && rng.bernoulli(0.3)) return Math.round(rng.logNormal(110000, 0.35));
  if (rng.bernoulli(ZERO_INCOME_SHARE[employment])) return 0;
  const working = employment === 'EMPLOYED' || employment === 'SELF_EMPLOYED';
  // Earnings grow with experience and level off: x0.65 at 18, about x1.1 from the mid-forties.
  const experience = working ? 0.65 + 0.45 * (1 - Math.exp(-(age - 18) / 12)) : 1;
  return Math.round(rng.logNormal(INCOME_MEDIAN[employment] * experience * Math.exp(-0.15 * stress), INCOME_SIGMA[employment]));
}

function drawHomeOwnership(rng: Rng, age: number, income: number, creditHistoryMonths: number): HomeOwnership {
  const own = age >= 60 ? 0.45 : age >= 40 ? 0.15 : 0.04;
  // A mortgage needs a credit file and, mostly, an established working life and income.
  const established = 0.05 + 0.6 * (1 - Math.exp(-(age - 22) / 15)) * Math.min(1, income / 60000);
  const mortgage = creditHistoryMonths === 0 ? 0 : age > 22 ? clamp(established, 0, 0.7) : 0.03;
  return rng.weighted(HOME_OWNERSHIPS, [Math.max(0, 1 - own - mortgage), own, mortgage]);
}

function drawCreditHistory(rng: Rng, age: number): number {
  // Anyone may have opened a first line at 18; some are new to credit (young people, newcomers).
  const newToCredit = rng.bernoulli(age < 25 ? 0.3 : 0.06);
  if (newToCredit) return rng.integer(0, 11);
  const possible = (age - 18) * 12 + 11;
  return Math.min(600, Math.round(possible * clamp(rng.normal(0.72, 0.2), 0.02, 1)));
}

function drawUtilization(rng: Rng, openAccounts: number, stress: number): number {
  if (openAccounts === 0) return 0;
  // A mass near zero: people who pay their cards off every month (fewer among the stressed).
  if (rng.bernoulli(clamp(0.22 * Math.exp(-0.4 * stress), 0, 1))) return roundTo(rng.uniform() * 0.02, 3);
  return roundTo(Math.min(1.2, 1.15 * sigmoid(rng.normal(-0.9 + 0.9 * stress, 1))), 3);
}

function drawMonthlyDebt(rng: Rng, income: number, openAccounts: number, home: HomeOwnership, stress: number): number {
  // No open line, no debt service.
  if (openAccounts === 0) return 0;
  if (income === 0) return Math.round(rng.logNormal(120, 0.8));
  const dti = Math.min(1.5, rng.logNormal(0.22 * Math.exp(0.3 * stress), 0.55) * (home === 'MORTGAGE' ? 1.3 : 1));
  return Math.round((income / 12) * dti);
}

function drawLoan(rng: Rng, income: number): { amount: number; term: LoanTermMonths } {
  const median = 9000 * (Math.max(income, 15000) / 45000) ** 0.4;
  const amount = Math.round(clamp(rng.logNormal(median, 0.75), 500, 60000) / 100) * 100;
  // Small loans are mostly short, large ones mostly long.
  const w =
    amount < 3000
      ? [0.45, 0.35, 0.15, 0.03, 0.02]
      : amount < 15000
        ? [0.1, 0.25, 0.35, 0.15, 0.15]
        : [0.03, 0.1, 0.3, 0.25, 0.32];
  return { amount, term: rng.weighted(LOAN_TERMS, w) };
}

function drawEmailAge(rng: Rng, suspicious: boolean): number {
  let days: number;
  if (suspicious) days = rng.exponential(30);
  else if (rng.bernoulli(0.05)) days = rng.uniform() * 365; // a genuinely new address
  else days = rng.logNormal(1600, 0.9);
  return Math.floor(Math.min(days, 7300));
}

/** Generates one applicant; the order of draws is part of the reproducibility contract. */
function generateApplicant(rng: Rng, index: number): Applicant {
  // Latent, unobserved: "financial stress" couples utilization, delinquencies, debt and income the
  // way they are coupled in real bureau data. "suspicious" marks a small segment whose fraud
  // signals look bad; the fraud label itself depends only on the observed signals.
  const stress = rng.normal();
  const suspicious = rng.bernoulli(0.04);
  const age = drawAge(rng);
  const employment = drawEmployment(rng, age);
  const annualIncome = drawIncome(rng, age, employment, stress, suspicious);
  const creditHistoryMonths = drawCreditHistory(rng, age);
  const homeOwnership = drawHomeOwnership(rng, age, annualIncome, creditHistoryMonths);
  // A credit history means at least one line; more accumulate over the years.
  const openAccounts =
    creditHistoryMonths === 0
      ? 0
      : Math.min(40, 1 + rng.poisson(6 * (1 - Math.exp(-creditHistoryMonths / 90)) * Math.exp(0.15 * stress)));
  const creditUtilization = drawUtilization(rng, openAccounts, stress);
  const delinquencies2y =
    creditHistoryMonths === 0
      ? 0
      : // The rate is capped at 20 so that an extreme stress draw cannot overflow poisson().
        Math.min(20, rng.poisson(Math.min(20, Math.exp(-1.9 + 0.9 * stress + 0.6 * b(creditUtilization > 0.8)))));
  const monthlyDebtPayments = drawMonthlyDebt(rng, annualIncome, openAccounts, homeOwnership, stress);
  const loan = drawLoan(rng, annualIncome);
  const emailAgeDays = drawEmailAge(rng, suspicious);
  const ipCountryMismatch = rng.bernoulli(suspicious ? 0.5 : 0.03);
  const applications30d = Math.min(30, rng.poisson(suspicious ? 3 : stress > 1 ? 0.6 : 0.35));

  const input: ApplicantInput = {
    applicantId: `A${String(index + 1).padStart(6, '0')}`,
    age,
    annualIncome,
    monthlyDebtPayments,
    loanAmount: loan.amount,
    loanTermMonths: loan.term,
    creditHistoryMonths,
    delinquencies2y,
    creditUtilization,
    openAccounts,
    employment,
    homeOwnership,
    emailAgeDays,
    ipCountryMismatch,
    applications30d,
  };
  const pDefault = trueDefaultProbability(input);
  const pUnaffordable = trueUnaffordableProbability(input);
  const pFraud = trueFraudProbability(input);
  return {
    ...input,
    trueDefaultProbability: pDefault,
    trueUnaffordableProbability: pUnaffordable,
    trueFraudProbability: pFraud,
    defaulted: rng.uniform() < pDefault,
    unaffordable: rng.uniform() < pUnaffordable,
    fraud: rng.uniform() < pFraud,
  };
}

/**
 * `count` synthetic applicants, identical for identical `(count, seed)`; the first `k` applicants
 * of a seed do not depend on `count`. Ids run from `A000001`.
 */
export function generateApplicants(count: number, seed: number): Applicant[] {
  if (!Number.isInteger(count) || count < 0 || count > 999999) {
    throw new RangeError(`generateApplicants() needs an integer count in 0..999999, received ${count}`);
  }
  if (!Number.isInteger(seed)) {
    throw new RangeError(`generateApplicants() needs an integer seed, received ${seed}`);
  }
  const rng = new Rng(seed);
  const applicants: Applicant[] = [];
  for (let i = 0; i < count; i++) applicants.push(generateApplicant(rng, i));
  return applicants;
}
