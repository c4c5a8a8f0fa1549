/** A typical applicant (the first row of examples/credit-score/applicants.csv). */
export const APPLICANT = {
  applicantId: 'A000001',
  age: 29,
  annualIncome: 77123,
  monthlyDebtPayments: 3900,
  loanAmount: 8300,
  loanTermMonths: 24,
  creditHistoryMonths: 107,
  delinquencies2y: 0,
  creditUtilization: 0.005,
  openAccounts: 4,
  employment: 'EMPLOYED',
  homeOwnership: 'RENT',
  emailAgeDays: 538,
  ipCountryMismatch: false,
  applications30d: 0,
} as const;

/** The same applicant as a GraphQL input literal. */
export function inputLiteral(values: Readonly<Record<string, unknown>>): string {
  const enums = new Set(['employment', 'homeOwnership']);
  return `{ ${Object.entries(values)
    .map(([key, value]) => `${key}: ${enums.has(key) ? String(value) : JSON.stringify(value)}`)
    .join(', ')} }`;
}
