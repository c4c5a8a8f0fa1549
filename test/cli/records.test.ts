import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkInputFile, readRecordBatches, readRecords, type InputRecord } from '../../src/cli/records.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tessera-records-'));
const file = (name: string, text: string | Buffer) => {
  const target = path.join(dir, name);
  writeFileSync(target, text);
  return target;
};
const collect = async (batches: AsyncGenerator<InputRecord[]>) => {
  const sizes: number[] = [];
  const records: InputRecord[] = [];
  for await (const batch of batches) {
    sizes.push(batch.length);
    records.push(...batch);
  }
  return { sizes, records };
};

describe('reading input files in batches', () => {
  it('reads a CSV file of many chunks in order, with every bad row in its place and its line', async () => {
    const rows = Array.from({ length: 6000 }, (_, i) => {
      if (i === 1000) return 'x,in"side,1';
      if (i === 2500) return 'only,two';
      if (i === 5999) return 'last,"never closed,1';
      return `id-${i},${'é'.repeat(i % 7)}name ${i},${i}`;
    });
    const csv = file('many.csv', `id,name,n\n${rows.join('\n')}\n`);
    const { sizes, records } = await collect(readRecordBatches(csv, { format: 'csv' }));
    // More than one batch (the file is larger than a read chunk), none of them empty.
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes.every((size) => size > 0)).toBe(true);
    expect(records).toHaveLength(6000);
    for (const [i, record] of records.entries()) {
      expect(record.line).toBe(i + 2);
      if (i === 1000) expect(record).toMatchObject({ ok: false, error: expect.stringMatching(/^Unparseable CSV: field 2 has a quote inside it/), raw: 'x,in"side,1' });
      else if (i === 2500) expect(record).toMatchObject({ ok: false, error: 'Expected 3 fields, got 2.', raw: 'only,two' });
      else if (i === 5999) expect(record).toMatchObject({ ok: false, error: expect.stringMatching(/^Unparseable CSV: field 2 opens a quote that is never closed/), raw: 'last,"never closed,1' });
      else expect(record).toMatchObject({ ok: true, fields: { id: `id-${i}`, name: `${'é'.repeat(i % 7)}name ${i}`, n: String(i) } });
    }
  });

  it('reads on after a broken quote: only the line it is on is rejected', async () => {
    const csv = file('quote.csv', 'id,name,n\na,ok,1\nb,"bro"ken,2\nc,ok,3\nd,"never closed,4\ne,ok,5\n');
    const { records } = await collect(readRecordBatches(csv, { format: 'csv' }));
    expect(records.map((r) => [r.line, r.ok])).toEqual([
      [2, true],
      [3, false],
      [4, true],
      [5, false],
      [6, true],
    ]);
    expect(records[1]).toMatchObject({ error: expect.stringMatching(/^Unparseable CSV: field 2 has "k" after its closing quote/), raw: 'b,"bro"ken,2' });
    expect(records[3]).toMatchObject({ error: expect.stringMatching(/^Unparseable CSV: field 2 opens a quote that is never closed/), raw: 'd,"never closed,4' });
    expect(records[4]).toMatchObject({ fields: { id: 'e', name: 'ok', n: '5' } });
  });

  it('rejects a JSONL object that gives a key twice (JSON.parse would keep the last), nested or escaped keys included', async () => {
    const lines = ['{"a":1,"b":2}', '{"a":1,"a":2}', '{"a":{"x":1,"x":2},"b":"a\\":","c":[{"a":1}]}', '{"a\\u0062":1,"ab":2}', '{ "k" : 1 , "k":2}'];
    const jsonl = file('twice.jsonl', lines.join('\n'));
    const { records } = await collect(readRecordBatches(jsonl, { format: 'jsonl' }));
    expect(records.map((r) => (r.ok ? [r.line, 'ok'] : [r.line, r.error]))).toEqual([
      [1, 'ok'],
      [2, 'Key "a" appears twice in the object; give each field once.'],
      [3, 'ok'],
      [4, 'Key "ab" appears twice in the object; give each field once.'],
      [5, 'Key "k" appears twice in the object; give each field once.'],
    ]);
  });

  it('keeps a CSV column named __proto__ as a field, not as the prototype of the row', async () => {
    const csv = file('proto.csv', 'id,__proto__\na,x\n');
    const { records } = await collect(readRecordBatches(csv, { format: 'csv' }));
    expect(records[0]?.ok && Object.keys(records[0].fields)).toEqual(['id', '__proto__']);
  });

  it('refuses a header it cannot read, naming its line', async () => {
    const csv = file('header.csv', 'id,"name,n\na,b,1\n');
    await expect(collect(readRecordBatches(csv, { format: 'csv' }))).rejects.toThrow('The header (line 1) cannot be read: field 2 opens a quote that is never closed');
  });

  it('reads JSONL with CRLF endings, blank lines, multi-byte text across chunks and no final newline', async () => {
    // Three-byte characters after a 20-byte prefix: a 64 KiB read chunk ends inside one of them.
    const long = '€'.repeat(50_000);
    const lines = ['{"id":"abc","text":"' + long + '"}', '', '[1,2]', '{"id":', '{"id":"b"}'];
    const jsonl = file('mixed.jsonl', lines.join('\r\n'));
    const records: InputRecord[] = [];
    for await (const record of readRecords(jsonl, { format: 'jsonl' })) records.push(record);
    expect(records.map((r) => [r.line, r.ok])).toEqual([
      [1, true],
      [3, false],
      [4, false],
      [5, true],
    ]);
    expect(records[0]).toMatchObject({ ok: true, fields: { id: 'abc', text: long } });
    expect(JSON.stringify(records[0])).not.toContain('\uFFFD');
    expect(records[1]).toMatchObject({ error: 'Expected a JSON object on each line.', raw: '[1,2]' });
    expect(records[2]).toMatchObject({ error: expect.stringMatching(/^Invalid JSON: /), raw: '{"id":' });
    expect(records[3]).toMatchObject({ fields: { id: 'b' }, raw: '{"id":"b"}' });
  });

  it('ends JSONL lines at a lone carriage return too, also where one chunk ends with it and the next begins with a line feed', async () => {
    const crOnly = file('cr.jsonl', '{"n":1}\r{"n":2}\r\r{"n":3}');
    const records: InputRecord[] = [];
    for await (const record of readRecords(crOnly, { format: 'jsonl' })) records.push(record);
    expect(records.map((r) => [r.line, r.ok && r.fields.n])).toEqual([
      [1, 1],
      [2, 2],
      [4, 3],
    ]);
    // The first line fills the first 64 KiB chunk exactly up to its \r; the \n opens the next chunk.
    const first = `{"pad":"${'x'.repeat(65_536 - 11)}"}`;
    expect(Buffer.byteLength(`${first}\r`)).toBe(65_536);
    const split = file('split.jsonl', `${first}\r\n{"n":2}\r\n`);
    const lines: number[] = [];
    for await (const record of readRecords(split, { format: 'jsonl' })) lines.push(record.ok ? record.line : -record.line);
    expect(lines).toEqual([1, 2]);
  });

  it('reads a JSONL file that starts with a byte-order mark from its first line, as it reads CSV', async () => {
    const records: InputRecord[] = [];
    for await (const record of readRecords(file('bom.jsonl', '\uFEFF{"n":1}\n{"n":2}\n'), { format: 'jsonl' })) records.push(record);
    expect(records.map((r) => [r.line, r.ok && r.fields.n])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('reads a file without a header row by the given columns, skipping "-"', async () => {
    const csv = file('plain.csv', 'a,skip,1\nb,skip,2\n');
    const { records } = await collect(readRecordBatches(csv, { format: 'csv', columns: ['id', '-', 'n'] }));
    expect(records).toEqual([
      { ok: true, line: 1, fields: { id: 'a', n: '1' }, raw: 'a,skip,1' },
      { ok: true, line: 2, fields: { id: 'b', n: '2' }, raw: 'b,skip,2' },
    ]);
  });
});

describe('an input file that is not UTF-8', () => {
  const advice = 'Tessera reads UTF-8; convert the file first from the encoding it was saved in, e.g. iconv -f windows-1252 -t utf-8 IN > OUT.';

  it('is refused at its first bad line, with the character, before anything is read for scoring', async () => {
    const latin1 = file('latin1.csv', Buffer.from('applicantId,name\nA1,Jones\nA2,Müller\nA3,Ødegård\n', 'latin1'));
    await expect(checkInputFile(latin1)).rejects.toThrow(`"${latin1}" is not UTF-8: line 3, character 5 has a byte sequence UTF-8 does not allow. ${advice}`);
    // A character cut off at the end of the file.
    const cut = file('cut.jsonl', Buffer.concat([Buffer.from('{"requestId":"r1","value":1}\n{"note":"'), Buffer.from('€', 'utf8').subarray(0, 2)]));
    await expect(checkInputFile(cut)).rejects.toThrow(`"${cut}" is not UTF-8: line 2, character 10 has a byte sequence UTF-8 does not allow. ${advice}`);
  });

  it('counts characters as the readers do: one for a character outside the BMP, none for a byte-order mark, a genuine U+FFFD as a character', async () => {
    const bad = (name: string, ...parts: (string | number[])[]) => file(name, Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part)))));
    const cases: [string, number][] = [
      [bad('astral.csv', 'a,b\n𝄞𝄞x', [0xe9], 'y\n'), 4],
      [bad('replacement.csv', 'a,b\na\uFFFDbcd', [0xe9], 'y\n'), 6],
    ];
    for (const [path, column] of cases) await expect(checkInputFile(path)).rejects.toThrow(`line 2, character ${column} has`);
    const bom = bad('bom.csv', '\uFEFFab', [0xe9], '\n');
    await expect(checkInputFile(bom)).rejects.toThrow(`"${bom}" is not UTF-8: line 1, character 3 has`);
    // A byte-order mark and a bad byte in the next 64 KiB chunk of the same line: still not a character.
    const bomLong = bad('bom-long.csv', `\uFEFF${'a'.repeat(70_000)}`, [0xe9], '\n');
    await expect(checkInputFile(bomLong)).rejects.toThrow(`line 1, character 70001 has`);
    const utf16 = file('utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n', 'utf16le')]));
    await expect(checkInputFile(utf16)).rejects.toThrow(`"${utf16}" is UTF-16 (it starts with a UTF-16 byte-order mark). Tessera reads UTF-8; convert the file first, e.g. iconv -f utf-16 -t utf-8 IN > OUT.`);
    // An empty file and a file of CRLF lines are fine.
    expect(await checkInputFile(file('empty.csv', ''))).toBe(0);
    expect(await checkInputFile(file('crlf.csv', 'a,b\r\nü,€\r\n'))).toBe(13);
  });

  it('is not confused by characters of two, three and four bytes split between the chunks of a large UTF-8 file', async () => {
    // 64 KiB chunks: rows of mixed widths put every kind of character across some chunk boundary.
    const rows = Array.from({ length: 20_000 }, (_, i) => `A${i},Müller€𝄞${'x'.repeat(i % 7)}`);
    const text = `applicantId,name\n${rows.join('\n')}\n`;
    const large = file('large-utf8.csv', text);
    expect(await checkInputFile(large)).toBe(Buffer.byteLength(text));
    // And each width split at the first chunk boundary (64 KiB), one byte and more into it.
    for (const character of ['ü', '€', '𝄞']) {
      const width = Buffer.byteLength(character);
      for (let into = 1; into < width; into++) {
        const straddling = `${'a'.repeat(65_536 - into)}${character}\n`;
        expect(await checkInputFile(file(`split-${width}-${into}.csv`, straddling))).toBe(Buffer.byteLength(straddling));
      }
    }
    // The same file with one bad byte late in it: found, on its line.
    const bytes = Buffer.from(text);
    const at = bytes.indexOf(Buffer.from('A19000,'));
    bytes[at + 'A19000,'.length] = 0xff;
    const broken = file('late-bad.csv', bytes);
    await expect(checkInputFile(broken)).rejects.toThrow(`"${broken}" is not UTF-8: line 19002, character 8 has a byte sequence UTF-8 does not allow.`);
    // A line longer than a chunk: the position counts its characters in the chunks before.
    const long = file('long-line.jsonl', Buffer.concat([Buffer.from(`{"x":1}\n${'é'.repeat(50_000)}`), Buffer.from([0xff]), Buffer.from('\n')]));
    await expect(checkInputFile(long)).rejects.toThrow(`"${long}" is not UTF-8: line 2, character 50001 has a byte sequence UTF-8 does not allow.`);
  });
});
