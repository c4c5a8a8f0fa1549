import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { sharedData } from './paths.js';

/** The 20 UCI attributes in file order (see ../shared/data/SOURCES.md). */
export const GERMAN_COLUMNS = [
  'status', 'duration', 'credit_history', 'purpose', 'credit_amount', 'savings', 'employment', 'installment_rate',
  'personal_status_sex', 'other_debtors', 'residence_since', 'property', 'age', 'other_installment_plans', 'housing',
  'existing_credits', 'job', 'people_liable', 'telephone', 'foreign_worker',
] as const;

/** Rows of german.csv as pipeline inputs (A-codes stay strings, the rest become numbers), plus the label. */
export function germanRows(): { input: Record<string, string | number>; label: number }[] {
  const lines = readFileSync(sharedData('credit/german.csv'), 'utf8').trim().split('\n');
  return lines.map((line, index) => {
    const cells = line.trim().split(',');
    const input: Record<string, string | number> = { applicationId: `G${index + 1}` };
    GERMAN_COLUMNS.forEach((column, j) => {
      const cell = cells[j] as string;
      input[column] = /^A\d+$/.test(cell) ? cell : Number(cell);
    });
    return { input, label: Number(cells[20]) };
  });
}

/** The model's own feeds for rows: one [N,1] tensor per attribute, float32 or string. */
export function germanFeeds(rows: readonly Record<string, string | number>[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const column of GERMAN_COLUMNS) {
    const values = rows.map((row) => row[column] as string | number);
    feeds[column] = typeof values[0] === 'string'
      ? new ort.Tensor('string', values as string[], [rows.length, 1])
      : new ort.Tensor('float32', Float32Array.from(values as number[]), [rows.length, 1]);
  }
  return feeds;
}
