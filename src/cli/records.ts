import { isUtf8 } from 'node:buffer';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { UsageError } from './args.js';
import { CsvReader, type CsvRecord } from './csv.js';

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

/**
 * The size of an input file (for progress), or a usage error that names it and says why it cannot
 * be read: a missing file, a folder, or a file that is not UTF-8 is the caller's mistake, not a
 * crash. Checked before anything is read for scoring, so that nothing is half done.
 */
export async function checkInputFile(file: string): Promise<number> {
  const size = await fileSize(file);
  await assertUtf8(file);
  return size;
}

async function fileSize(file: string): Promise<number> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`Cannot read "${file}": ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}.`);
  }
  if (!info.isFile()) throw new UsageError(`Cannot read "${file}": it is ${info.isDirectory() ? 'a directory' : 'not a regular file'}.`);
  return info.size;
}

/**
 * A usage error at the first line that is not UTF-8. Read leniently, such a line (a file saved as
 * Latin-1 or Windows-1252, say) would turn each accented letter into U+FFFD: routing keys and
 * passthrough columns changed without a word. One pass over the bytes with Node's native check;
 * a character split between two chunks waits for the next.
 */
async function assertUtf8(file: string): Promise<void> {
  let line = 1;
  // Characters of the current line in earlier chunks, for the position of a bad one in this chunk.
  let before = 0;
  let carry: Buffer | undefined;
  // The readers skip a byte-order mark: it is not a character of line 1.
  let bom = false;
  let first = true;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    if (first) {
      first = false;
      if ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)) {
        throw new UsageError(`"${file}" is UTF-16 (it starts with a UTF-16 byte-order mark). Tessera reads UTF-8; convert the file first, e.g. iconv -f utf-16 -t utf-8 IN > OUT.`);
      }
      bom = chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
    }
    const data = carry ? Buffer.concat([carry, chunk]) : chunk;
    const whole = data.length - incompleteTail(data);
    const checked = data.subarray(0, whole);
    if (!isUtf8(checked)) throw new UsageError(notUtf8(file, checked, line, before, bom));
    const lastBreak = checked.lastIndexOf(10);
    for (let at = checked.indexOf(10); at !== -1; at = checked.indexOf(10, at + 1)) line++;
    before = (lastBreak === -1 ? before : 0) + characters(checked.subarray(lastBreak + 1));
    carry = whole < data.length ? Buffer.from(data.subarray(whole)) : undefined;
  }
  if (carry) throw new UsageError(notUtf8(file, carry, line, before, bom));
}

/** The characters in valid UTF-8: every byte but continuation bytes (10xxxxxx). */
function characters(bytes: Buffer): number {
  let count = 0;
  for (const byte of bytes) if ((byte & 0xc0) !== 0x80) count++;
  return count;
}

/**
 * The length of the UTF-8 character a byte begins (1 to 4), or 0 for a byte that begins none: a
 * continuation byte, or a lead byte UTF-8 does not allow (0xC0, 0xC1, 0xF5 and up).
 */
function sequenceLength(lead: number): number {
  return lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
}

/** How many bytes at the end of `data` begin a UTF-8 character that the next chunk may complete. */
function incompleteTail(data: Buffer): number {
  for (let back = 1; back <= Math.min(3, data.length); back++) {
    const byte = data[data.length - back] as number;
    if (byte < 0x80) return 0; // ASCII: nothing pending
    // A lead byte: the length it announces, against what is there (one that is not allowed is left
    // to the check, which refuses it).
    if (byte >= 0xc0) return sequenceLength(byte) > back ? back : 0;
  }
  return 0;
}

/**
 * The message for the first line of `data` that is not UTF-8. `data` starts at line `first`, after
 * `before` characters of it in earlier chunks; `bom`: the file starts with a byte-order mark, which
 * is no character of line 1 to the readers.
 */
function notUtf8(file: string, data: Buffer, first: number, before: number, bom: boolean): string {
  let line = first;
  let start = 0;
  for (;;) {
    const end = data.indexOf(10, start);
    const text = data.subarray(start, end === -1 ? data.length : end);
    if (!isUtf8(text) || end === -1) {
      const valid = text.subarray(0, firstInvalid(text));
      const column = (line === first ? before : 0) + characters(valid) + 1 - (line === 1 && bom ? 1 : 0);
      return `"${file}" is not UTF-8: line ${line}, character ${column} has a byte sequence UTF-8 does not allow. Tessera reads UTF-8; convert the file first from the encoding it was saved in, e.g. iconv -f windows-1252 -t utf-8 IN > OUT.`;
    }
    start = end + 1;
    line++;
  }
}

/** The offset of the first byte that does not begin a valid UTF-8 character (the length if none). */
function firstInvalid(bytes: Buffer): number {
  for (let at = 0; at < bytes.length; ) {
    const length = sequenceLength(bytes[at] as number);
    // Node's check of the one character rules out overlong forms and surrogates too.
    if (length === 0 || at + length > bytes.length || !isUtf8(bytes.subarray(at, at + length))) return at;
    at += length;
  }
  return bytes.length;
}

/** The rejects file of a bulk command: one JSON object a line, the file created at the first. */
export interface RejectsFile {
  write(line: number, error: string, raw: unknown): Promise<void>;
  /** Flushes what was written (nothing to do when no line was rejected). */
  close(): Promise<void>;
}

/**
 * Prepares the rejects file at `file`. It is refused when it is one of `others` (the input, the
 * output), which it would truncate while they are read or written; one left by an earlier run is
 * removed, since it is written only when a line is rejected and would look like this run's.
 */
export async function openRejectsFile(file: string, others: readonly (string | undefined)[]): Promise<RejectsFile> {
  if (others.some((other) => other !== undefined && path.resolve(other) === path.resolve(file))) {
    throw new UsageError(`--rejects ${file} is the input or the output file; name a file of its own.`);
  }
  await rm(file, { force: true });
  let stream: WriteStream | undefined;
  return {
    async write(line, error, raw) {
      stream ??= createWriteStream(file);
      if (!stream.write(`${JSON.stringify({ line, error, raw })}\n`)) await once(stream, 'drain');
    },
    async close() {
      if (!stream) return;
      stream.end();
      await once(stream, 'finish');
    },
  };
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
 * one asynchronous step per chunk instead of one per row. Callers check the file with
 * `checkInputFile` first, for a usage error that names it; a read error during the read fails the
 * reader.
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
  // pipe() does not pass a read error on: the reader would wait for the end of a stream that failed.
  const input = createReadStream(file).once('error', (error) => counter.destroy(error));
  const source = input.pipe(counter);
  if (options.format === 'jsonl') {
    yield* readJsonLines(source);
  } else {
    yield* readCsv(source, options.columns);
  }
}

async function* readJsonLines(source: Readable): AsyncGenerator<InputRecord[]> {
  let line = 0;
  const parse = (text: string): InputRecord | undefined => {
    line++;
    if (text.trim() === '') return undefined;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, line, error: 'Expected a JSON object on each line.', raw: text };
      // JSON.parse keeps the last of two equal keys without a word: which one was meant is unknown.
      const twice = repeatedKey(text);
      if (twice !== undefined) return { ok: false, line, error: `Key ${JSON.stringify(twice)} appears twice in the object; give each field once.`, raw: text };
      return { ok: true, line, fields: value as Record<string, unknown>, raw: text };
    } catch (error) {
      return { ok: false, line, error: `Invalid JSON: ${(error as Error).message}`, raw: text };
    }
  };
  // Lines end at \n, \r\n or a lone \r (as readline has it). Each chunk is scanned once: the start of
  // a line that continues into the next chunk waits in `pieces`.
  const pieces: string[] = [];
  let afterCarriageReturn = false;
  source.setEncoding('utf8');
  let first = true;
  for await (const chunk of source as AsyncIterable<string>) {
    const records: InputRecord[] = [];
    // A \r that ended the previous chunk and this \n are one line break; a byte-order mark that
    // starts the file is not part of its first line (as for CSV).
    let start: number = afterCarriageReturn && chunk.startsWith('\n') ? 1 : first && chunk.startsWith('\uFEFF') ? 1 : 0;
    first = false;
    afterCarriageReturn = false;
    LINE_BREAK.lastIndex = start;
    for (let found = LINE_BREAK.exec(chunk); found !== null; found = LINE_BREAK.exec(chunk)) {
      pieces.push(chunk.slice(start, found.index));
      const record = parse(pieces.join(''));
      pieces.length = 0;
      if (record) records.push(record);
      start = found.index + found[0].length;
      afterCarriageReturn = found[0] === '\r' && start === chunk.length;
    }
    if (start < chunk.length) pieces.push(chunk.slice(start));
    if (records.length > 0) yield records;
  }
  const last = pieces.length > 0 ? parse(pieces.join('')) : undefined;
  if (last) yield [last];
}

const LINE_BREAK = /\r\n|\n|\r/g;

/**
 * Sets a field of a row, `__proto__` included: assigned, that name would set the object's prototype
 * (or, for a string, be ignored) instead of making a field that is then refused as unknown. A plain
 * object, not one without a prototype: that is slower to fill and to read, for every row.
 */
export function setField(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}

/** The first key that the top-level object of `json` (valid JSON) has twice, if any. */
function repeatedKey(json: string): string | undefined {
  const keys = new Set<string>();
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) {
      // A string: to its closing quote, past escaped characters.
      let end = i + 1;
      let escaped = false;
      while (json.charCodeAt(end) !== 0x22) {
        escaped ||= json.charCodeAt(end) === 0x5c;
        end += json.charCodeAt(end) === 0x5c ? 2 : 1;
      }
      if (depth === 1) {
        let next = end + 1;
        while (json.charCodeAt(next) === 0x20 || json.charCodeAt(next) === 0x09) next++;
        if (json.charCodeAt(next) === 0x3a) {
          // Decoded only when it has escapes ("a\u0062" is "ab").
          const key = escaped ? (JSON.parse(json.slice(i, end + 1)) as string) : json.slice(i + 1, end);
          if (keys.has(key)) return key;
          keys.add(key);
        }
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

/**
 * Column names as given, refused when two share a name (a row would keep only the last of them)
 * or, in a header, when one is `-` (which only `--columns` uses, to skip a column).
 */
function checkedColumns(names: readonly string[], where: '--columns' | 'the header'): string[] {
  const seen = new Map<string, number>();
  names.forEach((name, index) => {
    if (name === '-' && where === 'the header') throw new UsageError(`Column ${index + 1} of the header is named "-"; name it, or read the file with --columns (where - skips a column).`);
    const first = seen.get(name);
    if (first !== undefined && name !== '-') throw new UsageError(`Column "${name}" appears twice in ${where} (columns ${first + 1} and ${index + 1}); each column needs a name of its own.`);
    seen.set(name, index);
  });
  return [...names];
}

async function* readCsv(source: Readable, columns: readonly string[] | undefined): AsyncGenerator<InputRecord[]> {
  let header = columns ? checkedColumns(columns, '--columns') : undefined;
  const reader = new CsvReader();
  const convert = (read: readonly CsvRecord[]): InputRecord[] => {
    const records: InputRecord[] = [];
    for (const record of read) {
      if (!record.ok) {
        if (!header) throw new UsageError(`The header (line ${record.line}) cannot be read: ${record.error.replace(/^Unparseable CSV: /, '')}`);
        records.push(record);
        continue;
      }
      const values = record.fields;
      if (!header) {
        header = checkedColumns(values, 'the header');
        continue;
      }
      if (values.length !== header.length) {
        records.push({ ok: false, line: record.line, error: `Expected ${header.length} fields, got ${values.length}.`, raw: record.raw });
        continue;
      }
      const fields: Record<string, unknown> = {};
      for (let index = 0; index < header.length; index++) {
        const name = header[index] as string;
        if (name !== '-') setField(fields, name, values[index]);
      }
      records.push({ ok: true, line: record.line, fields, raw: record.raw });
    }
    return records;
  };
  source.setEncoding('utf8');
  for await (const chunk of source as AsyncIterable<string>) {
    const records = convert(reader.push(chunk));
    if (records.length > 0) yield records;
  }
  const last = convert(reader.end());
  if (last.length > 0) yield last;
}

/** A CSV field: quoted when it must be. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
