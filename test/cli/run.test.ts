import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { tessera } from '../helpers/cli.js';
import { bundledPipelines, repoRoot } from '../helpers/paths.js';

const good = readFileSync(path.join(repoRoot, 'examples/credit-score/applicants.csv'), 'utf8').trim().split('\n');
const row = (id: string, age: string, employment = 'EMPLOYED') => `${id},${age},77123,3900,8300,24,107,0,0.005,4,${employment},RENT,538,false,0`;

describe('tessera run', () => {
  it('scores good rows in order and writes every bad row to the rejects file with its line number', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-run-'));
    const input = path.join(dir, 'applicants.csv');
    const lines = [
      good[0], good[1], good[2],
      'A900001,2"9,77123,3900,8300,24,107,0,0.005,4,EMPLOYED,RENT,538,false,0',
      'A900002,29,77123',
      row('A900003', 'abc'),
      row('A900004', '12'),
      row('A900005', '30', 'EMPLOYEE'),
      good[3],
    ];
    writeFileSync(input, `${lines.join('\n')}\n`);
    const output = path.join(dir, 'scored.csv');
    const result = await tessera(['run', input, '--pipelines', bundledPipelines, '--pipeline', 'creditScore', '--output', output]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`^Scored 8 rows in [\\d.]+ s \\(\\d+ rows/s\\): 3 ok, 0 failed, 5 rejected \\(see ${output.replace(/[.]/g, '\\.')}\\.rejects\\.jsonl\\)\\.\\n$`));
    const scored = parse(readFileSync(output), { columns: true }) as Record<string, string>[];
    expect(scored.map((r) => r.applicantId)).toEqual(['A000001', 'A000002', 'A000003']);
    expect(Object.keys(scored[0] as object)).toEqual(['applicantId', 'requestId', 'score', 'grade', 'decision', 'reasons', 'probabilityOfDefault', 'versions', 'error']);
    for (const r of scored) expect(r.versions).toMatch(/repayment=v[12]@[0-9a-f]{12}/);
    const rejects = readFileSync(`${output}.rejects.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; error: string; raw: string });
    expect(rejects).toEqual([
      { line: 4, error: 'Unparseable CSV: field 2 has a quote inside it but does not start with one; quote the whole field and write the quote twice ("a""b").', raw: 'A900001,2"9,77123,3900,8300,24,107,0,0.005,4,EMPLOYED,RENT,538,false,0' },
      { line: 5, error: 'Expected 15 fields, got 3.', raw: 'A900002,29,77123' },
      { line: 6, error: 'Input field "age" must be a 32-bit integer (Int); got "abc".', raw: row('A900003', 'abc') },
      { line: 7, error: 'Input field "age" must be at least 18; got 12.', raw: row('A900004', '12') },
      { line: 8, error: 'Input field "employment" must be one of EMPLOYED, SELF_EMPLOYED, UNEMPLOYED, RETIRED, STUDENT; got "EMPLOYEE". Did you mean "EMPLOYED" or "UNEMPLOYED"?', raw: row('A900005', '30', 'EMPLOYEE') },
    ]);
  });

  it('reads and writes JSONL, and gives the same scores as CSV', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-run-'));
    const csv = path.join(dir, 'in.csv');
    writeFileSync(csv, `${good.slice(0, 51).join('\n')}\n`);
    const header = (good[0] as string).split(',');
    const jsonl = path.join(dir, 'in.jsonl');
    const numeric = new Set(['age', 'annualIncome', 'monthlyDebtPayments', 'loanAmount', 'loanTermMonths', 'creditHistoryMonths', 'delinquencies2y', 'creditUtilization', 'openAccounts', 'emailAgeDays', 'applications30d']);
    writeFileSync(jsonl, `${good.slice(1, 51).map((line) => JSON.stringify(Object.fromEntries(line.split(',').map((v, i) => {
      const name = header[i] as string;
      return [name, numeric.has(name) ? Number(v) : name === 'ipCountryMismatch' ? v === 'true' : v];
    })))).join('\n')}\n`);
    const fromCsv = await tessera(['run', csv, '-p', bundledPipelines, '--pipeline', 'creditScore', '--output', path.join(dir, 'a.csv')]);
    const fromJsonl = await tessera(['run', jsonl, '-p', bundledPipelines, '--pipeline', 'creditScore', '--output', path.join(dir, 'b.jsonl')]);
    expect([fromCsv.code, fromJsonl.code]).toEqual([0, 0]);
    const a = parse(readFileSync(path.join(dir, 'a.csv')), { columns: true }) as Record<string, string>[];
    const b = readFileSync(path.join(dir, 'b.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(b.map((r) => [r.applicantId, r.score, r.grade])).toEqual(a.map((r) => [r.applicantId, Number(r.score), r.grade]));
    expect(b[0]?.versions).toContainEqual(expect.objectContaining({ node: 'fraud', version: 'v1', policy: 'fixed(v1)' }));
  });

  it('copies a passthrough column that is also an input and still scores with it; a JSON null key takes the line key', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-run-'));
    const csv = path.join(dir, 'in.csv');
    writeFileSync(csv, `${good.slice(0, 21).join('\n')}\n`);
    const plain = await tessera(['run', csv, '-p', bundledPipelines, '--pipeline', 'creditScore', '--output', path.join(dir, 'plain.csv')]);
    const copied = await tessera(['run', csv, '-p', bundledPipelines, '--pipeline', 'creditScore', '--output', path.join(dir, 'copied.csv'), '--passthrough', 'openAccounts']);
    expect([plain.code, copied.code]).toEqual([0, 0]);
    const a = parse(readFileSync(path.join(dir, 'plain.csv')), { columns: true }) as Record<string, string>[];
    const b = parse(readFileSync(path.join(dir, 'copied.csv')), { columns: true }) as Record<string, string>[];
    const given = parse(readFileSync(csv), { columns: true }) as Record<string, string>[];
    expect(b.map((r) => r.openAccounts)).toEqual(given.map((r) => r.openAccounts));
    expect(b.map((r) => [r.applicantId, r.score, r.probabilityOfDefault])).toEqual(a.map((r) => [r.applicantId, r.score, r.probabilityOfDefault]));

    // A __proto__ key is an unknown field like any other (with a passthrough, the row's inputs are not an ordinary object);
    // a null routing key with --line-keys is the line's key, as a missing one is.
    const header = (good[0] as string).split(',');
    const row = Object.fromEntries((good[1] as string).split(',').map((v, i) => [header[i] as string, Number.isNaN(Number(v)) || v === '' ? (v === 'false' ? false : v === 'true' ? true : v) : Number(v)]));
    const jsonl = path.join(dir, 'in.jsonl');
    const lines = [JSON.stringify({ ...row, applicantId: null, tag: 't1' }), `{"__proto__":{"age":30},${JSON.stringify({ ...row, tag: 't2' }).slice(1)}`];
    writeFileSync(jsonl, `${lines.join('\n')}\n`);
    const out = path.join(dir, 'out.jsonl');
    const result = await tessera(['run', jsonl, '-p', bundledPipelines, '--pipeline', 'creditScore', '--output', out, '--passthrough', 'tag', '--line-keys']);
    expect(result.code).toBe(3);
    expect(readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).map((r) => [r.tag, r.applicantId])).toEqual([['t1', 'line-1']]);
    expect(readFileSync(`${out}.rejects.jsonl`, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { line: number; error: string }).error)).toEqual([
      'Unknown input field "__proto__".',
    ]);
  });

  it('leaves no rejects file of an earlier run behind, refuses a passthrough column the file lacks and a rejects file that is the input', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-run-'));
    const csv = path.join(dir, 'in.csv');
    const output = path.join(dir, 'out.csv');
    const run = (...extra: string[]) => tessera(['run', csv, '-p', bundledPipelines, '--pipeline', 'creditScore', '--output', output, ...extra]);
    writeFileSync(csv, `${good.slice(0, 3).join('\n')}\nA900009,12\n`);
    expect((await run()).code).toBe(3);
    expect(existsSync(`${output}.rejects.jsonl`)).toBe(true);
    // The bad row fixed: the next run rejects nothing, and the old rejects file does not stay to say otherwise.
    writeFileSync(csv, `${good.slice(0, 3).join('\n')}\n`);
    expect((await run()).code).toBe(0);
    expect(existsSync(`${output}.rejects.jsonl`)).toBe(false);
    const misspelled = await run('--passthrough', 'aplicantId');
    expect([misspelled.code, misspelled.stderr.split('\n')[0]]).toEqual([2, '--passthrough names column "aplicantId", which the file does not have. Did you mean "applicantId"?']);
    const onInput = await run('--rejects', csv);
    expect([onInput.code, onInput.stderr.split('\n')[0]]).toEqual([2, `--rejects ${csv} is the input or the output file; name a file of its own.`]);
    expect(readFileSync(csv, 'utf8')).toBe(`${good.slice(0, 3).join('\n')}\n`);
  });

  it('refuses columns that are not inputs before scoring, with a suggestion', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-run-'));
    const input = path.join(dir, 'in.csv');
    writeFileSync(input, `${(good[0] as string).replace('annualIncome', 'annualIncom')}\n${good[1]}\n`);
    const result = await tessera(['run', input, '-p', bundledPipelines, '--pipeline', 'creditScore', '--output', path.join(dir, 'out.csv')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'Column "annualIncom" is not an input field of pipeline "creditScore". Did you mean "annualIncome"? Pass --passthrough annualIncom to copy it to the output.\n' +
        'Usage: tessera run FILE --pipeline NAME [--output FILE] [--format csv|jsonl] [--batch-size N] [--rejects FILE] [--columns A,B,-] [--passthrough A,B] [--line-keys]\n',
    );
  });

  it('refuses a header that names a column twice, or "-", instead of keeping one of the values', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-run-'));
    const usage = 'Usage: tessera run FILE --pipeline NAME [--output FILE] [--format csv|jsonl] [--batch-size N] [--rejects FILE] [--columns A,B,-] [--passthrough A,B] [--line-keys]\n';
    for (const [header, message] of [
      ['applicantId,age,age', 'Column "age" appears twice in the header (columns 2 and 3); each column needs a name of its own.'],
      ['applicantId,-,age', 'Column 2 of the header is named "-"; name it, or read the file with --columns (where - skips a column).'],
    ] as const) {
      const input = path.join(dir, 'in.csv');
      writeFileSync(input, `${header}\nA1,29,99\n`);
      const result = await tessera(['run', input, '-p', bundledPipelines, '--pipeline', 'creditScore', '--state', 'memory', '--output', path.join(dir, 'out.csv')]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`${message}\n${usage}`);
    }
  });

  it('names an input it cannot read, and why, instead of crashing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-run-'));
    const usage = 'Usage: tessera run FILE --pipeline NAME [--output FILE] [--format csv|jsonl] [--batch-size N] [--rejects FILE] [--columns A,B,-] [--passthrough A,B] [--line-keys]\n';
    mkdirSync(path.join(dir, 'folder.csv'));
    for (const [input, why] of [
      [path.join(dir, 'missing.csv'), 'no such file'],
      [path.join(dir, 'folder.csv'), 'it is a directory'],
    ] as const) {
      const result = await tessera(['run', input, '-p', bundledPipelines, '--pipeline', 'creditScore', '--state', 'memory', '--output', path.join(dir, 'out.csv')]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`Cannot read "${input}": ${why}.\n${usage}`);
    }
  });

  it('refuses a file that is not UTF-8 before scoring anything, leaving no output behind', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-run-'));
    const input = path.join(dir, 'latin1.csv');
    // A Windows export: the header, a plain row, then a name with an accented letter in Latin-1.
    writeFileSync(input, Buffer.from(`${good[0]},name\n${row('A1', '29')},Jones\n${row('A2', '41')},Müller\n`, 'latin1'));
    const output = path.join(dir, 'out.csv');
    const result = await tessera(['run', input, '-p', bundledPipelines, '--pipeline', 'creditScore', '--state', 'memory', '--passthrough', 'name', '--output', output]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`"${input}" is not UTF-8: line 3, character ${row('A2', '41').length + 3} has a byte sequence UTF-8 does not allow.`);
    expect(existsSync(output)).toBe(false);
  });
});
