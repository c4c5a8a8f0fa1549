import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Transform } from 'node:stream';
import { parse } from 'csv-parse';

/** One row of an input file: its 1-based line, its fields (strings for CSV), or why it is unreadable. */
export type InputRecord =
  | { readonly ok: true; readonly line: number; readonly fields: Readonly<Record<string, unknown>>; readonly raw: string }
  | { readonly ok: false; readonly line: number; readonly error: string; readonly raw: string };

export interface ReadOptions {
  readonly format: 'csv' | 'jsonl';
  /** CSV only: column names for a file without a header row; `-` skips a column. */
  readonly columns?: readonly string[];
  /** Called with the bytes read so far (for progress). */
  readonly onBytes?: (bytes: number) => void;
}

/** The size of a file, for progress. */
export async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size;
}

/**
 * Reads records one by one. A row that cannot be parsed comes back as `ok: false` with its line
 * number and raw text, and reading goes on: nothing is dropped silently.
 */
export async function* readRecords(file: string, options: ReadOptions): AsyncGenerator<InputRecord> {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      options.onBytes?.(bytes);
      callback(null, chunk);
    },
  });
  const source = createReadStream(file).pipe(counter);
  if (options.format === 'jsonl') {
    yield* readJsonLines(source);
  } else {
    yield* readCsv(source, options.columns);
  }
}

async function* readJsonLines(source: NodeJS.ReadableStream): AsyncGenerator<InputRecord> {
  let line = 0;
  for await (const text of createInterface({ input: source, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        yield { ok: false, line, error: 'Expected a JSON object on each line.', raw: text };
      } else {
        yield { ok: true, line, fields: value as Record<string, unknown>, raw: text };
      }
    } catch (error) {
      yield { ok: false, line, error: `Invalid JSON: ${(error as Error).message}`, raw: text };
    }
  }
}

async function* readCsv(source: NodeJS.ReadableStream, columns: readonly string[] | undefined): AsyncGenerator<InputRecord> {
  const skipped: InputRecord[] = [];
  const parser = source.pipe(
    parse({
      bom: true,
      trim: true,
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error, raw) => {
        skipped.push({ ok: false, line: Number((error as { lines?: number } | undefined)?.lines ?? 0), error: `Unparseable CSV: ${error?.message ?? 'unknown error'}`, raw: raw ?? '' });
        return undefined;
      },
    }),
  );
  let header = columns ? [...columns] : undefined;
  for await (const { record, info, raw } of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
    while (skipped.length > 0) yield skipped.shift() as InputRecord;
    if (!header) {
      header = record;
      continue;
    }
    if (record.length !== header.length) {
      yield { ok: false, line: info.lines, error: `Expected ${header.length} fields, got ${record.length}.`, raw: raw.trimEnd() };
      continue;
    }
    const fields: Record<string, unknown> = {};
    header.forEach((name, index) => {
      if (name !== '-') fields[name] = record[index];
    });
    yield { ok: true, line: info.lines, fields, raw: raw.trimEnd() };
  }
  while (skipped.length > 0) yield skipped.shift() as InputRecord;
}

/** A CSV field: quoted when it must be. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
