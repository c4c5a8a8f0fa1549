/**
 * A CSV reader for input files (RFC 4180: comma-separated, fields quoted with `"` where they hold a
 * comma, a quote or a line break, a quote inside a quoted field written twice) that finds its place
 * again after a malformed row. A general parser cannot: after a quote that never closes or closes
 * too early, it cannot know where the next record starts, and everything up to the next quote it
 * can pair is lost with the bad row. Input rows rarely span lines, so this reader assumes what a
 * person reading the file would: a row that cannot be read is rejected with its first line only,
 * and reading goes on at the next line. Every line of the file ends up in exactly one record, read
 * or rejected; nothing is skipped but blank lines.
 *
 * Line breaks are `\r\n`, `\n` or a lone `\r`, as the JSON-lines reader has them. Spaces and tabs
 * around a field (outside its quotes) are trimmed; a line of nothing but those is blank. What is
 * read does not depend on where the pieces of text are cut.
 */

/** One record: its fields, or why it could not be read. `line` is the line it starts on; `raw` is its text without the final line break. */
export type CsvRecord =
  | { readonly ok: true; readonly line: number; readonly fields: string[]; readonly raw: string }
  | { readonly ok: false; readonly line: number; readonly error: string; readonly raw: string };

/**
 * A quoted field may span lines, but not more than this: past it, an opening quote counts as never
 * closed (its first line is rejected and reading goes on after it). It bounds what the reader holds
 * while it looks for the closing quote.
 */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024;

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;

/** What reading a record from an offset found. */
type Scan =
  | { readonly kind: 'record'; readonly fields: string[]; readonly end: number; readonly next: number; readonly lines: number }
  | { readonly kind: 'error'; readonly message: string }
  /** The record goes on past the text read so far (`quoted`: inside a quoted field). */
  | { readonly kind: 'more'; readonly quoted: boolean };

const MORE_PLAIN: Scan = { kind: 'more', quoted: false };
const MORE_QUOTED: Scan = { kind: 'more', quoted: true };

/** Reads records from text given in pieces (`push`), then `end()`. */
export class CsvReader {
  /** Text read but not yet part of a record: the start of one that continues in the next piece. */
  #pending = '';
  /** The line `#pending` starts on. */
  #line = 1;
  #first = true;
  /** A line too long to be a record was rejected: the rest of it is skipped. */
  #skipping = false;
  /** A line ended at a `\r` that ended the text: a `\n` starting the next piece belongs to that break. */
  #afterCarriageReturn = false;

  /** The records the text read so far completes. */
  push(text: string): CsvRecord[] {
    if (text === '') return [];
    if (this.#first) {
      this.#first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.#afterCarriageReturn) {
      this.#afterCarriageReturn = false;
      if (text.charCodeAt(0) === LF) text = text.slice(1);
    }
    const pending = this.#pending;
    // A record ends at a line break: a piece without one ends none, and the record is not read again.
    if (pending !== '' && !this.#skipping && !pending.endsWith('\r') && pending.length + text.length <= MAX_RECORD_CHARS && !/[\r\n]/.test(text)) {
      this.#pending = pending + text;
      return [];
    }
    return this.#read(pending + text, false);
  }

  /** The records left at the end of the text: the last one may end without a line break. */
  end(): CsvRecord[] {
    const text = this.#pending;
    this.#pending = '';
    return this.#read(text, true);
  }

  #read(text: string, final: boolean): CsvRecord[] {
    const records: CsvRecord[] = [];
    let at = 0;
    if (this.#skipping) {
      // The rest of a line too long to be a record, rejected already.
      const line = this.#lineAt(text, 0, final);
      if (line === undefined) {
        this.#pending = '';
        return records;
      }
      this.#skipping = false;
      this.#line++;
      at = line.next;
    }
    while (at < text.length) {
      const scan = scanRecord(text, at, final);
      if (scan.kind === 'record' && scan.end - at <= MAX_RECORD_CHARS) {
        const raw = text.slice(at, scan.end);
        if (scan.fields.length > 1 || !BLANK.test(raw)) records.push({ ok: true, line: this.#line, fields: scan.fields, raw });
        this.#line += scan.lines;
        at = scan.next;
        continue;
      }
      // A trailing \r may be the first half of a \r\n: it does not count towards the length.
      const length = text.length - at - (text.charCodeAt(text.length - 1) === CR ? 1 : 0);
      if (scan.kind === 'more' && length <= MAX_RECORD_CHARS) break;
      // A record that cannot be read, or one longer than a record may be: its first line is
      // rejected, and reading goes on at the next.
      const line = this.#lineAt(text, at, final);
      if (line === undefined && length <= MAX_RECORD_CHARS) break;
      const end = line?.end ?? text.length;
      // Past its first line, a record goes on only inside a quoted field.
      const quoted = (scan.kind === 'more' && scan.quoted) || end < (scan.kind === 'record' ? scan.end : at + length);
      const message =
        scan.kind === 'error'
          ? scan.message
          : quoted
            ? `a quote opens a field that is not closed within ${MAX_RECORD_CHARS / 1024 / 1024} MiB; close it, or write a quote that is part of a value twice ("")`
            : `the line is longer than ${MAX_RECORD_CHARS / 1024 / 1024} MiB`;
      const raw = end - at > MAX_RECORD_CHARS ? `${text.slice(at, at + 1024)}…` : text.slice(at, end);
      records.push({ ok: false, line: this.#line, error: `Unparseable CSV: ${message}.`, raw });
      if (line === undefined) {
        // One line longer than a record may be, still coming: the rest of it is skipped as it comes.
        this.#skipping = true;
        this.#pending = '';
        return records;
      }
      this.#line++;
      at = line.next;
    }
    this.#pending = text.slice(at);
    return records;
  }

  /**
   * The end of the line starting at `at` (before its break) and where the next begins; undefined
   * if its break is not read yet. A \r that ends the text ends the line: a \n that comes next is
   * part of its break.
   */
  #lineAt(text: string, at: number, final: boolean): { end: number; next: number } | undefined {
    for (let i = at; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === LF) return { end: i, next: i + 1 };
      if (c === CR) {
        if (i + 1 === text.length && !final) this.#afterCarriageReturn = true;
        return { end: i, next: text.charCodeAt(i + 1) === LF ? i + 2 : i + 1 };
      }
    }
    return final ? { end: text.length, next: text.length } : undefined;
  }
}

/** A line of nothing but spaces and tabs (the whitespace trimmed around fields). */
const BLANK = /^[ \t]*$/;

/** Reads the record that starts at `at`: its fields and where it ends, an error, or that it goes on past the text. */
function scanRecord(text: string, at: number, final: boolean): Scan {
  const fields: string[] = [];
  let lines = 1;
  let i = at;
  for (;;) {
    let start = i;
    while (start < text.length && (text.charCodeAt(start) === SPACE || text.charCodeAt(start) === TAB)) start++;
    let value: string;
    let stop: number;
    if (text.charCodeAt(start) === QUOTE) {
      // A quoted field: to the quote that is not doubled.
      let close = start;
      let doubled = false;
      for (;;) {
        close = text.indexOf('"', close + 1);
        if (close === -1 || close + 1 === text.length) {
          if (final && close !== -1) break;
          return final ? { kind: 'error', message: `field ${fields.length + 1} opens a quote that is never closed; close it, or write a quote that is part of the value twice ("")` } : MORE_QUOTED;
        }
        if (text.charCodeAt(close + 1) !== QUOTE) break;
        doubled = true;
        close++;
      }
      value = text.slice(start + 1, close);
      lines += lineBreaks(value);
      if (doubled) value = value.replaceAll('""', '"');
      stop = close + 1;
      while (stop < text.length && (text.charCodeAt(stop) === SPACE || text.charCodeAt(stop) === TAB)) stop++;
      const next = text.charCodeAt(stop);
      if (stop < text.length && next !== COMMA && next !== LF && next !== CR) {
        return { kind: 'error', message: `field ${fields.length + 1} has ${JSON.stringify(text[stop])} after its closing quote, where a comma or the end of the line was expected; a quote that is part of a quoted value is written twice ("")` };
      }
    } else {
      stop = start;
      for (; stop < text.length; stop++) {
        const c = text.charCodeAt(stop);
        if (c === COMMA || c === LF || c === CR) break;
        if (c === QUOTE) {
          return { kind: 'error', message: `field ${fields.length + 1} has a quote inside it but does not start with one; quote the whole field and write the quote twice ("a""b")` };
        }
      }
      let last = stop;
      while (last > start && (text.charCodeAt(last - 1) === SPACE || text.charCodeAt(last - 1) === TAB)) last--;
      value = text.slice(start, last);
    }
    if (stop === text.length && !final) return MORE_PLAIN;
    fields.push(value);
    const c = text.charCodeAt(stop);
    if (c === COMMA) {
      i = stop + 1;
      continue;
    }
    if (c === CR) {
      if (stop + 1 === text.length && !final) return MORE_PLAIN;
      return { kind: 'record', fields, end: stop, next: text.charCodeAt(stop + 1) === LF ? stop + 2 : stop + 1, lines };
    }
    return { kind: 'record', fields, end: stop, next: c === LF ? stop + 1 : stop, lines };
  }
}

/** Line breaks in `text`, counted as the reader does (`\r\n` once). */
function lineBreaks(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) count++;
  }
  return count;
}
