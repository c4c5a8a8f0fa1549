import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvReader, MAX_RECORD_CHARS, type CsvRecord } from '../../src/cli/csv.js';

/** Reads `text` given in pieces cut at `cuts` (offsets), as a file arrives in chunks. */
const read = (text: string, cuts: readonly number[] = []): CsvRecord[] => {
  const reader = new CsvReader();
  const records: CsvRecord[] = [];
  const add = (some: CsvRecord[]) => {
    for (const record of some) records.push(record);
  };
  let from = 0;
  for (const cut of [...new Set(cuts)].filter((c) => c > 0 && c < text.length).sort((a, b) => a - b)) {
    add(reader.push(text.slice(from, cut)));
    from = cut;
  }
  add(reader.push(text.slice(from)));
  add(reader.end());
  return records;
};

const summary = (records: readonly CsvRecord[]) => records.map((r) => (r.ok ? [r.line, r.fields] : [r.line, 'rejected', r.raw]));

/** A field as a CSV writer puts it: quoted when it must be (or when `quote` says so), quotes doubled. */
const written = (value: string, quote: boolean) => (quote || /[",\r\n]/.test(value) || value.trim() !== value ? `"${value.replaceAll('"', '""')}"` : value);

describe('the CSV reader', () => {
  it('reads what csv-parse reads from well-formed files, wherever the chunks are cut', () => {
    const value = fc.stringMatching(/^[a-zé€😀 ,"\r\n]{0,8}$/u);
    const row = fc.array(fc.tuple(value, fc.boolean()), { minLength: 2, maxLength: 5 });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 8 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.array(fc.nat(400), { maxLength: 6 }), (rows, newline, finalNewline, cuts) => {
        const text = rows.map((fields) => fields.map(([v, q]) => written(v, q)).join(',')).join(newline) + (finalNewline ? newline : '');
        const expected = parse(text, { trim: true, relax_column_count: true, skip_empty_lines: true, record_delimiter: newline }) as string[][];
        const records = read(text, cuts);
        expect(records.every((r) => r.ok)).toBe(true);
        expect(records.map((r) => (r.ok ? r.fields : []))).toEqual(expected);
        expect(records.map((r) => (r.ok ? r.fields : []))).toEqual(rows.map((fields) => fields.map(([v]) => v)));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects only the first line of a row it cannot read, and reads on at the next line', () => {
    const text = [
      'id,name,n',
      'a,ok,1',
      'b,"bro"ken,2', // closed too early
      'c,ok,3',
      'x,in"side,4', // a quote inside an unquoted field
      'd,"two',
      'lines",5', // one record on two lines
      'e,"opens here,6', // closes on the next line, with more after the quote: the first line goes
      'f,"g",7',
      'h,"never closed,8', // never closed: the first line goes, the rest is read
      'i,ok,9',
    ].join('\n');
    expect(summary(read(text))).toEqual([
      [1, ['id', 'name', 'n']],
      [2, ['a', 'ok', '1']],
      [3, 'rejected', 'b,"bro"ken,2'],
      [4, ['c', 'ok', '3']],
      [5, 'rejected', 'x,in"side,4'],
      [6, ['d', 'two\nlines', '5']],
      [8, 'rejected', 'e,"opens here,6'],
      [9, ['f', 'g', '7']],
      [10, 'rejected', 'h,"never closed,8'],
      [11, ['i', 'ok', '9']],
    ]);
    const errors = read(text).flatMap((r) => (r.ok ? [] : [r.error]));
    expect(errors).toEqual([
      'Unparseable CSV: field 2 has "k" after its closing quote, where a comma or the end of the line was expected; a quote that is part of a quoted value is written twice ("").',
      'Unparseable CSV: field 2 has a quote inside it but does not start with one; quote the whole field and write the quote twice ("a""b").',
      'Unparseable CSV: field 2 has "g" after its closing quote, where a comma or the end of the line was expected; a quote that is part of a quoted value is written twice ("").',
      'Unparseable CSV: field 2 opens a quote that is never closed; close it, or write a quote that is part of the value twice ("").',
    ]);
  });

  it('accounts for every line of any input once: read, rejected or blank', () => {
    const junk = fc.stringMatching(/^[ab,"\r\n ]{0,60}$/);
    fc.assert(
      fc.property(junk, fc.array(fc.nat(60), { maxLength: 4 }), (text, cuts) => {
        const lines = text.split(/\r\n|\n|\r/);
        const covered = new Map<number, number>();
        for (const record of read(text, cuts)) {
          const span = record.raw.split(/\r\n|\n|\r/).length;
          for (let line = record.line; line < record.line + span; line++) covered.set(line, (covered.get(line) ?? 0) + 1);
        }
        lines.forEach((content, index) => {
          const count = covered.get(index + 1) ?? 0;
          // A blank line may sit inside a quoted value of a record; otherwise it is skipped.
          if (content.trim() !== '') expect(count, `line ${index + 1} of ${JSON.stringify(text)}`).toBe(1);
          else expect(count).toBeLessThanOrEqual(1);
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('ends lines at CRLF, LF or a lone CR, also where a chunk ends between CR and LF; skips blank lines and a byte-order mark', () => {
    const text = '\uFEFFa,b\r\n1,2\r\r\n  \n3, 4 \r"x\r\ny", z\r\n5,6';
    for (const cut of [0, 5, 9, 10, 11, 12, 20, 23, 24]) {
      expect(summary(read(text, [cut]))).toEqual([
        [1, ['a', 'b']],
        [2, ['1', '2']],
        [5, ['3', '4']],
        [6, ['x\r\ny', 'z']],
        [8, ['5', '6']],
      ]);
    }
  });

  it('keeps whitespace inside quotes and trims it outside them', () => {
    expect(summary(read(' a , " b " ,"" , c d \n'))).toEqual([[1, ['a', ' b ', '', 'c d']]]);
  });

  it(`gives up on a quote not closed within ${MAX_RECORD_CHARS / 1024 / 1024} MiB: its first line is rejected and the rest read`, () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => `r${i},${'x'.repeat(80)}`);
    const text = `id,v\nbad,"opens\n${rows.join('\n')}\n`;
    expect(text.length).toBeGreaterThan(MAX_RECORD_CHARS);
    const records = read(text, Array.from({ length: 100 }, (_, i) => i * 65_536));
    expect(records).toHaveLength(60_002);
    expect(records[1]).toMatchObject({ ok: false, line: 2, raw: 'bad,"opens', error: expect.stringMatching(/^Unparseable CSV: a quote opens a field that is not closed within 4 MiB/) });
    expect(records[2]).toEqual({ ok: true, line: 3, fields: ['r0', 'x'.repeat(80)], raw: `r0,${'x'.repeat(80)}` });
    expect(records[60_001]).toMatchObject({ ok: true, line: 60_002, fields: ['r59999', 'x'.repeat(80)] });
  });

  it('reads the same wherever the text is cut around the length limit, whatever the line breaks', () => {
    const long = 'y'.repeat(MAX_RECORD_CHARS + 10);
    const quotedLong = `"${`${'a'.repeat(999)}\n`.repeat(MAX_RECORD_CHARS / 1000 + 10)}"`;
    const exact = 'x'.repeat(MAX_RECORD_CHARS - 2);
    for (const newline of ['\n', '\r\n', '\r']) {
      for (const [middle, expected] of [
        [`1,${long}`, [[2, 'rejected', `1,${'y'.repeat(1022)}…`, 'Unparseable CSV: the line is longer than 4 MiB.']]],
        [`1,${quotedLong}`, [[2, 'rejected', `1,"${'a'.repeat(999)}`, expect.stringMatching(/^Unparseable CSV: a quote opens a field that is not closed within 4 MiB/)]]],
        [`1,${exact}`, [[2, ['1', exact]]]],
      ] as const) {
        const text = ['id,v', middle, '2,after', '3,last'].join(newline) + newline;
        const offset = text.indexOf(`${newline}2,after`);
        // Whole; cut after the record's line break (between \r and \n for \r\n), before it; in 64 KiB chunks.
        const cuts = [[], [offset + 1], [offset], Array.from({ length: 80 }, (_, i) => i * 65_536 + 3)];
        for (const at of cuts) {
          const records = read(text, at).filter((r) => !r.raw.startsWith('aaa'));
          const head = records.slice(1, 2).map((r) => (r.ok ? [r.line, r.fields] : [r.line, 'rejected', r.raw, r.error]));
          expect(head, `${JSON.stringify(newline)} cut at ${at.slice(0, 2).join(',')}`).toEqual(expected);
          const tail = records.slice(-2);
          expect(tail.map((r) => (r.ok ? r.fields : r.raw))).toEqual([
            ['2', 'after'],
            ['3', 'last'],
          ]);
        }
      }
    }
  });

  it('trims only spaces and tabs, and strips a byte-order mark after an empty first piece', () => {
    expect(summary(read(' \u00a0x\u00a0 ,\ty\t\n\u00a0\n'))).toEqual([
      [1, ['\u00a0x\u00a0', 'y']],
      [2, ['\u00a0']],
    ]);
    const reader = new CsvReader();
    expect([...reader.push(''), ...reader.push('\uFEFFa,b\n'), ...reader.end()]).toEqual([{ ok: true, line: 1, fields: ['a', 'b'], raw: 'a,b' }]);
  });

  it('rejects a line longer than a record may be with its first KiB, skips the rest of it, and reads the next', () => {
    const long = 'y'.repeat(MAX_RECORD_CHARS + 100_000);
    const text = `id,v\n1,${long}\n2,ok\n`;
    const records = read(text, Array.from({ length: 80 }, (_, i) => i * 65_536 + 7));
    expect(summary(records)).toEqual([
      [1, ['id', 'v']],
      [2, 'rejected', `1,${'y'.repeat(1022)}…`],
      [3, ['2', 'ok']],
    ]);
  });
});
