import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
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
  for await (const records of readRecordBatches(file, options)) yield* records;
}

/**
 * Reads records as `readRecords` does, in the arrays they arrive in (one per chunk of the file):
 * one asynchronous step per chunk instead of one per row.
 */
export async function* readRecordBatches(file: string, options: ReadOptions): AsyncGenerator<InputRecord[]> {
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

async function* readJsonLines(source: Readable): AsyncGenerator<InputRecord[]> {
  let line = 0;
  let rest = '';
  const parse = (text: string): InputRecord | undefined => {
    line++;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return undefined;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, line, error: 'Expected a JSON object on each line.', raw: text };
      return { ok: true, line, fields: value as Record<string, unknown>, raw: text };
    } catch (error) {
      return { ok: false, line, error: `Invalid JSON: ${(error as Error).message}`, raw: text };
    }
  };
  source.setEncoding('utf8');
  for await (const chunk of source as AsyncIterable<string>) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() as string;
    const records: InputRecord[] = [];
    for (const text of lines) {
      const record = parse(text);
      if (record) records.push(record);
    }
    if (records.length > 0) yield records;
  }
  const last = rest === '' ? undefined : parse(rest);
  if (last) yield [last];
}

async function* readCsv(source: Readable, columns: readonly string[] | undefined): AsyncGenerator<InputRecord[]> {
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
  for await (const parsed of bursts<{ record: string[]; info: { lines: number }; raw: string }>(parser)) {
    const records: InputRecord[] = [];
    for (const { record, info, raw } of parsed) {
      if (!header) {
        header = record;
        continue;
      }
      if (record.length !== header.length) {
        records.push({ ok: false, line: info.lines, error: `Expected ${header.length} fields, got ${record.length}.`, raw: raw.trimEnd() });
        continue;
      }
      const fields: Record<string, unknown> = {};
      for (let index = 0; index < header.length; index++) {
        const name = header[index] as string;
        if (name !== '-') fields[name] = record[index];
      }
      records.push({ ok: true, line: info.lines, fields, raw: raw.trimEnd() });
    }
    // Rows skipped as unparseable were reported while this burst was parsed: put them in their place.
    if (skipped.length > 0) {
      records.push(...skipped.splice(0));
      records.sort((a, b) => a.line - b.line);
    }
    if (records.length > 0) yield records;
  }
  if (skipped.length > 0) yield skipped.splice(0);
}

/**
 * What an object-mode stream gives, an array per burst (everything readable at once): the stream's
 * own async iterator takes a promise job per item.
 */
async function* bursts<T>(stream: Readable): AsyncGenerator<T[]> {
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: unknown;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  stream.on('readable', notify);
  stream.once('end', () => {
    ended = true;
    notify();
  });
  stream.once('error', (error) => {
    failure = error;
    notify();
  });
  for (;;) {
    const burst: T[] = [];
    let item: T | null;
    while ((item = stream.read() as T | null) !== null) burst.push(item);
    if (burst.length > 0) yield burst;
    else if (failure !== undefined) throw failure;
    else if (ended) return;
    else await new Promise<void>((resolve) => (wake = resolve));
  }
}

/** A CSV field: quoted when it must be. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
