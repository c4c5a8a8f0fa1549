/** The demo CSV of applicants for bulk scoring (`tessera run`). */
import { APPLICANT_INPUT_FIELDS } from '../generate.js';
import type { ApplicantInput } from '../generate.js';

function cell(value: string | number | boolean): string {
  const text = String(value);
  // Every generated value is a plain token; refuse rather than quote, so the file stays trivial.
  if (/[",\n\r]/.test(text)) throw new RangeError(`a CSV cell would need quoting: ${JSON.stringify(text)}`);
  return text;
}

/**
 * A header row with exactly the input field names, in {@link APPLICANT_INPUT_FIELDS} order, then
 * one line per applicant (booleans as true/false, no label columns), each line ending in `\n`.
 */
export function applicantsCsv(applicants: readonly ApplicantInput[]): string {
  const lines = [APPLICANT_INPUT_FIELDS.join(',')];
  for (const a of applicants) lines.push(APPLICANT_INPUT_FIELDS.map((f) => cell(a[f])).join(','));
  return `${lines.join('\n')}\n`;
}
