import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { subscribe } from '../helpers/admin.js';
import { APPLICANT } from '../helpers/applicants.js';
import { tessera } from '../helpers/cli.js';
import { bundledPipelines, repoRoot } from '../helpers/paths.js';
import { graphql, startServe, type ServeProcess } from '../helpers/serve.js';
import { keysAround } from '../helpers/units.js';

const TOKEN = 'cli-admin-token';
const REPAYMENT = ['--pipeline', 'creditScore', '--node', 'repayment'];

/**
 * A working copy of the bundled pipeline and the example models (the pipeline file names them as
 * `../examples/credit-score/models/...`), so that a test can edit the YAML; and a state file.
 */
function workspace(): { pipelines: string; yaml: string; state: string; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-rollout-cli-'));
  const pipelines = path.join(dir, 'pipelines');
  const models = path.join(dir, 'examples', 'credit-score', 'models');
  mkdirSync(pipelines);
  mkdirSync(models, { recursive: true });
  copyFileSync(path.join(bundledPipelines, 'credit-score.yaml'), path.join(pipelines, 'credit-score.yaml'));
  const source = path.join(repoRoot, 'examples', 'credit-score', 'models');
  for (const file of readdirSync(source)) copyFileSync(path.join(source, file), path.join(models, file));
  return { dir, pipelines, yaml: path.join(pipelines, 'credit-score.yaml'), state: path.join(dir, 'state.db') };
}

/** ISO times vary from run to run; everything else in the output is exact. */
const untimed = (text: string) => text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>');

describe('tessera rollout and tessera outcomes against tessera serve --state FILE', () => {
  let server: ServeProcess | undefined;
  const serve = async (ws: { pipelines: string; state: string }, watch = false) => {
    server = await startServe(['--pipelines', ws.pipelines, '--state', ws.state, '--port', '0', '--no-graphiql', ...(watch ? [] : ['--no-watch'])], { TESSERA_ADMIN_TOKEN: TOKEN });
    return server;
  };
  /** Runs `tessera rollout ...` or `tessera outcomes ...` against the running server, with the token unless told otherwise. */
  const cli = (args: readonly string[], token: string = TOKEN) => tessera([...args, '--url', (server as ServeProcess).url], { env: { TESSERA_ADMIN_TOKEN: token } });
  const firstLine = async (args: readonly string[]) => {
    const result = await cli(args);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout.split('\n')[0];
  };
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('status lists every rollout with its traffic, experiment and history', async () => {
    const ws = workspace();
    await serve(ws);
    const all = await cli(['rollout', 'status']);
    expect(all.code).toBe(0);
    expect(all.stdout.split('\n').filter((line) => !line.startsWith(' '))).toEqual([
      'creditScore.debtToIncome  fixed  running  fixed(v1)  (revision 1)',
      'creditScore.loanToIncome  fixed  running  fixed(v1)  (revision 1)',
      'creditScore.repayment  split  running  split(v1=80%,v2=20%)  (revision 1)',
      'creditScore.thinFile  fixed  running  fixed(v1)  (revision 1)',
      'creditScore.defaultRisk  fixed  running  fixed(v1)  (revision 1)',
      'creditScore.affordability  fixed  running  fixed(v1)  (revision 1)',
      'creditScore.fraud  fixed  running  fixed(v1)  (revision 1)',
      'creditScore.score  fixed  running  fixed(v1)  (revision 1)',
      'creditScore.grade  fixed  running  fixed(v1)  (revision 1)',
      'creditScore.decision  fixed  running  fixed(v1)  (revision 1)',
      '',
    ]);
    const one = await cli(['rollout', 'status', ...REPAYMENT]);
    expect({ ...one, stdout: untimed(one.stdout) }).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'creditScore.repayment  split  running  split(v1=80%,v2=20%)  (revision 1)',
        '  traffic: v1 80.0%, v2 20.0%',
        '  arm v1 (control): 0 assigned, 0 outcomes, mean n/a, p n/a',
        '  arm v2: 0 assigned, 0 outcomes, mean n/a, p n/a',
        '  SRM p = 1.00',
        '  Keep running: no version differs from v1 at α = 0.05 yet (0 outcomes).',
        '  <time> started by file: Started split from the pipeline file.',
        '',
      ].join('\n'),
    });
  });

  it('pause, resume, set-split, promote and rollback change the rollout, and each change survives a restart', async () => {
    const ws = workspace();
    await serve(ws);
    const events = await subscribe((server as ServeProcess).url, 'subscription { rolloutEvents(pipeline: "creditScore") { node kind actor reason revision } }', TOKEN);
    expect(await firstLine(['rollout', 'pause', ...REPAYMENT, '--reason', 'Incident 7.'])).toBe('creditScore.repayment  split  paused  paused(v1)  (revision 2)');
    expect(await firstLine(['rollout', 'resume', ...REPAYMENT])).toBe('creditScore.repayment  split  running  split(v1=80%,v2=20%)  (revision 3)');
    expect(await firstLine(['rollout', 'set-split', ...REPAYMENT, '--weights', 'v1=37,v2=63'])).toBe('creditScore.repayment  split  running  split(v1=37%,v2=63%)  (revision 4)');
    const event = (kind: string, reason: string, revision: number) => ({ event: 'next', data: { data: { rolloutEvents: { node: 'repayment', kind, actor: 'admin', reason, revision } } } });
    expect([await events.next(), await events.next(), await events.next()]).toEqual([
      event('paused', 'Paused. Incident 7.', 2),
      event('resumed', 'Resumed.', 3),
      event('split_set', 'Split set to v1=37, v2=63; a new experiment scope begins.', 4),
    ]);

    // SIGTERM with a subscriber connected: the stream completes and the server exits.
    expect(await (server as ServeProcess).stop()).toBe(0);
    expect(await events.next()).toEqual({ event: 'complete', data: null });
    await serve(ws);
    const afterSplit = await cli(['rollout', 'status', ...REPAYMENT]);
    expect(untimed(afterSplit.stdout)).toBe(
      [
        'creditScore.repayment  split  running  split(v1=37%,v2=63%)  (revision 4)',
        '  traffic: v1 37.0%, v2 63.0%',
        '  arm v1 (control): 0 assigned, 0 outcomes, mean n/a, p n/a',
        '  arm v2: 0 assigned, 0 outcomes, mean n/a, p n/a',
        '  SRM p = 1.00',
        '  Keep running: no version differs from v1 at α = 0.05 yet (0 outcomes).',
        '  <time> split_set by admin: Split set to v1=37, v2=63; a new experiment scope begins.',
        '  <time> resumed by admin: Resumed.',
        '  <time> paused by admin: Paused. Incident 7.',
        '  <time> started by file: Started split from the pipeline file.',
        '',
      ].join('\n'),
    );
    // The restarted server routes by the saved weights.
    const keys = keysAround('creditScore.repayment', 0.37, { below: 2, above: 2 });
    for (const [applicantId, version] of [...keys.below.map((k) => [k, 'v1']), ...keys.above.map((k) => [k, 'v2'])] as [string, string][]) {
      const answer = await graphql((server as ServeProcess).url, 'query ($input: CreditScoreInput!) { creditScore(input: $input) { score routing { node version policy } } }', { input: { ...APPLICANT, applicantId } });
      expect((answer.data?.creditScore as { routing: { node: string }[] }).routing.find((d) => d.node === 'repayment')).toEqual({ node: 'repayment', version, policy: 'split(v1=37%,v2=63%)' });
    }

    expect(await firstLine(['rollout', 'promote', ...REPAYMENT, '--version', 'v2'])).toBe('creditScore.repayment  split  promoted  promoted(v2)  (revision 5)');
    expect(await firstLine(['rollout', 'rollback', ...REPAYMENT, '--reason', 'v2 misbehaves.'])).toBe('creditScore.repayment  split  rolled_back  rolled_back(v1)  (revision 6)');

    expect(await (server as ServeProcess).stop()).toBe(0);
    await serve(ws);
    const afterRollback = await cli(['rollout', 'status', ...REPAYMENT]);
    expect(untimed(afterRollback.stdout).split('\n').filter((line) => !line.startsWith('  arm') && !line.startsWith('  SRM') && !line.startsWith('  Keep'))).toEqual([
      'creditScore.repayment  split  rolled_back  rolled_back(v1)  (revision 6)',
      '  traffic: v1 100.0%, v2 0.0%',
      '  <time> rolled_back by admin: Rolled back to v1. v2 misbehaves.',
      '  <time> promoted by admin: Promoted v2.',
      '  <time> split_set by admin: Split set to v1=37, v2=63; a new experiment scope begins.',
      '  <time> resumed by admin: Resumed.',
      '  <time> paused by admin: Paused. Incident 7.',
      '',
    ]);
    // The other rollouts were not touched.
    const fraud = await cli(['rollout', 'status', '--pipeline', 'creditScore', '--node', 'fraud']);
    expect(fraud.stdout.split('\n')[0]).toBe('creditScore.fraud  fixed  running  fixed(v1)  (revision 1)');
  });

  it('keeps the run-time state through a reload that keeps the policy; a changed policy starts over', async () => {
    const ws = workspace();
    await serve(ws, true);
    expect(await firstLine(['rollout', 'set-split', ...REPAYMENT, '--weights', 'v1=37,v2=63'])).toBe('creditScore.repayment  split  running  split(v1=37%,v2=63%)  (revision 2)');

    // What the server serves: the query field's description (from the pipeline file) and the rollout.
    const serving = async () => {
      const answer = await graphql((server as ServeProcess).url, '{ __type(name: "Query") { fields { name description } } rollout(pipeline: "creditScore", node: "repayment") { description revision } }');
      const field = (answer.data?.__type as { fields: { name: string; description: string }[] }).fields.find((f) => f.name === 'creditScore');
      return { field: field?.description, rollout: answer.data?.rollout };
    };
    const original = readFileSync(ws.yaml, 'utf8');
    const described = original.replace('description: Composite credit score (300–850)', 'description: Composite credit score, edited (300–850)');
    expect(described).not.toBe(original);
    writeFileSync(ws.yaml, described);
    // The file watcher may report one write more than once: wait for what the edit changes, not for a log line.
    const edited = await eventually(serving, (s) => s.field?.includes('edited') === true);
    expect(edited.rollout).toEqual({ description: 'split(v1=37%,v2=63%)', revision: 2 });
    expect((server as ServeProcess).stderr()).toContain('Reloaded: serving creditScore (10 nodes).');
    expect(await firstLine(['rollout', 'status', ...REPAYMENT])).toBe('creditScore.repayment  split  running  split(v1=37%,v2=63%)  (revision 2)');

    const reweighted = described.replace('weights: { v1: 80, v2: 20 }', 'weights: { v1: 50, v2: 50 }');
    expect(reweighted).not.toBe(described);
    writeFileSync(ws.yaml, reweighted);
    expect((await eventually(serving, (s) => (s.rollout as { revision: number }).revision !== 2)).rollout).toEqual({ description: 'split(v1=50%,v2=50%)', revision: 3 });
    const reset = await cli(['rollout', 'status', ...REPAYMENT]);
    const lines = untimed(reset.stdout).split('\n');
    expect(lines[0]).toBe('creditScore.repayment  split  running  split(v1=50%,v2=50%)  (revision 3)');
    expect(lines.filter((line) => line.startsWith('  <time>'))).toEqual([
      '  <time> reset by file: The pipeline file declares a different policy or versions; the rollout starts over.',
      '  <time> split_set by admin: Split set to v1=37, v2=63; a new experiment scope begins.',
      '  <time> started by file: Started split from the pipeline file.',
    ]);
  });

  it('tessera outcomes names a file it cannot read, and why, before sending anything', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-outcomes-'));
    mkdirSync(path.join(dir, 'folder.jsonl'));
    for (const [file, why] of [
      [path.join(dir, 'missing.jsonl'), 'no such file'],
      [path.join(dir, 'folder.jsonl'), 'it is a directory'],
    ] as const) {
      const result = await tessera(['outcomes', file, '--url', 'http://127.0.0.1:9/graphql']);
      expect(result.code).toBe(2);
      expect(result.stderr.split('\n')[0]).toBe(`Cannot read "${file}": ${why}.`);
    }
    // Nor one that is not UTF-8: a note with a Latin-1 letter.
    const latin1 = path.join(dir, 'latin1.jsonl');
    writeFileSync(latin1, Buffer.from('{"requestId":"r1","value":1}\n{"requestId":"Ø2","value":0}\n', 'latin1'));
    const result = await tessera(['outcomes', latin1, '--url', 'http://127.0.0.1:9/graphql']);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(
      `"${latin1}" is not UTF-8: line 2, character 15 has a byte sequence UTF-8 does not allow. Tessera reads UTF-8; convert the file first from the encoding it was saved in, e.g. iconv -f windows-1252 -t utf-8 IN > OUT.`,
    );
  });

  it('tessera outcomes counts an outcome for the nodes where it is new, and writes where it conflicts to the rejects file', async () => {
    const ws = workspace();
    // Two nodes that learn from outcomes, so that one outcome for the whole request can be new for one and in conflict on the other.
    const split = (expr1: string, expr2: string) =>
      `    kind: expression\n    versions:\n      v1: { expr: "${expr1}" }\n      v2: { expr: "${expr2}" }\n    routing:\n      policy: split\n      weights: { v1: 50, v2: 50 }\n      outcome: { kind: continuous, better: higher }\n`;
    writeFileSync(
      path.join(ws.pipelines, 'two-splits.yaml'),
      `name: twoSplits\nroutingKey: id\ninput:\n  id: { type: ID }\n  x: { type: Float }\nnodes:\n  a:\n${split('input.x', 'input.x * 2.0')}  b:\n${split('input.x + 1.0', 'input.x + 2.0')}outputs:\n  a: a.value\n  b: b.value\n`,
    );
    await serve(ws);
    const answer = await graphql((server as ServeProcess).url, '{ twoSplits(input: { id: "u1", x: 1.5 }) { requestId a b } }');
    const requestId = (answer.data?.twoSplits as { requestId: string }).requestId;
    const file = path.join(ws.dir, 'outcomes.jsonl');
    const lines = [JSON.stringify({ requestId, value: 1, node: 'a' }), JSON.stringify({ requestId, value: 0.5 })];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = await cli(['outcomes', file, '--batch-size', '1']);
    expect(result).toEqual({ code: 3, stdout: '', stderr: `Outcomes: 2 accepted (1 of them not for every node: a different value was counted there before), 0 already counted, 0 rejected (see ${file}.rejects.jsonl).\n` });
    expect(readFileSync(`${file}.rejects.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual([
      { line: 2, error: 'CONFLICT: Counted for node "b"; not where a different outcome was counted before (1 for node "a").', raw: lines[1] },
    ]);
  });

  it('tessera outcomes imports a JSONL file once, however often it runs, and writes rejects with line numbers', async () => {
    const ws = workspace();
    await serve(ws);
    const keys = keysAround('creditScore.repayment', 0.8, { below: 4, above: 3 });
    const score = async (applicantId: string) => {
      const answer = await graphql((server as ServeProcess).url, 'query ($input: CreditScoreInput!) { creditScore(input: $input) { requestId score } }', { input: { ...APPLICANT, applicantId } });
      return (answer.data?.creditScore as { requestId: string }).requestId;
    };
    // v1: 3 requests with outcomes 1, 0, 1; v2: 2 with 1, 1. Then one more of each for the mixed file.
    const v1 = [await score(keys.below[0] as string), await score(keys.below[1] as string), await score(keys.below[2] as string), await score(keys.below[3] as string)];
    const v2 = [await score(keys.above[0] as string), await score(keys.above[1] as string), await score(keys.above[2] as string)];
    const good = path.join(ws.dir, 'good.jsonl');
    writeFileSync(good, [[v1[0], 1], [v1[1], 0], [v1[2], 1], [v2[0], 1], [v2[1], 1]].map(([requestId, value]) => JSON.stringify({ requestId, value })).join('\n') + '\n');

    expect(await cli(['outcomes', good])).toEqual({ code: 0, stdout: '', stderr: 'Outcomes: 5 accepted, 0 already counted, 0 rejected.\n' });
    expect(await cli(['outcomes', good])).toEqual({ code: 0, stdout: '', stderr: 'Outcomes: 0 accepted, 5 already counted, 0 rejected.\n' });
    expect(existsSync(`${good}.rejects.jsonl`)).toBe(false);

    const mixed = path.join(ws.dir, 'mixed.jsonl');
    const lines = [
      JSON.stringify({ requestId: v1[3], value: 0 }),
      '{"requestId": "broken',
      '',
      '[1, 2]',
      JSON.stringify({ requestId: v2[2] }),
      JSON.stringify({ requestId: 'no-such-request', value: 1 }),
      JSON.stringify({ requestId: v2[2], value: 0.5 }),
      JSON.stringify({ requestId: v2[2], value: 1, weight: 2 }),
      JSON.stringify({ requestId: v1[0], value: 1 }),
      // v1[1] had 0: a conflict, not counted.
      JSON.stringify({ requestId: v1[1], value: 1 }),
    ];
    writeFileSync(mixed, lines.join('\n') + '\n');
    const rejects = path.join(ws.dir, 'rejected.jsonl');
    expect(await cli(['outcomes', mixed, '--rejects', rejects, '--batch-size', '2'])).toEqual({
      code: 3,
      stdout: '',
      stderr: `Outcomes: 1 accepted, 1 already counted, 7 rejected (see ${rejects}).\n`,
    });
    // In the order found: a line the server refuses is written when its batch of 2 comes back
    // (lines 1 and 6, then 7 and 9, then 10), so line 8, refused here, comes before line 7.
    expect(readFileSync(rejects, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual([
      { line: 2, error: `Invalid JSON: ${jsonError(lines[1] as string)}`, raw: lines[1] },
      { line: 4, error: 'Expected a JSON object on each line.', raw: lines[3] },
      { line: 5, error: 'value must be a finite number', raw: lines[4] },
      { line: 6, error: 'UNKNOWN_REQUEST: No request "no-such-request" is known: the id is wrong, or its decisions are past their retention.', raw: lines[5] },
      { line: 8, error: 'unknown field weight (expected requestId, value, node)', raw: lines[7] },
      { line: 7, error: 'INVALID: Node "repayment" learns from binary outcomes: the value must be 0 or 1; got 0.5.', raw: lines[6] },
      { line: 10, error: `CONFLICT: Request "${v1[1]}" already has a different outcome counted (0 for node "repayment"); 1 was not counted in its place: an outcome counts once, the first time it is reported.`, raw: lines[9] },
    ]);

    // Counted once each: v1 has 1, 0, 1, 0 of 4 assigned; v2 has 1, 1 of 3 assigned.
    const status = await cli(['rollout', 'status', ...REPAYMENT]);
    expect(status.stdout.split('\n').filter((line) => line.startsWith('  arm'))).toEqual([
      '  arm v1 (control): 4 assigned, 4 outcomes, mean 0.5, p n/a',
      expect.stringMatching(/^ {2}arm v2: 3 assigned, 2 outcomes, mean 1, p (\d|n\/a)/),
    ]);
  });

  it('set-split refuses weights it cannot read, and a version given twice, changing nothing', async () => {
    const ws = workspace();
    await serve(ws);
    const usage = 'Usage: tessera rollout status|promote|pause|resume|rollback|set-split [--pipeline P] [--node N] [--version V] [--weights v1=90,v2=10] [--reason TEXT] [--url URL]\n';
    // An empty weight is not 0.
    expect(await cli(['rollout', 'set-split', ...REPAYMENT, '--weights', 'v1=,v2=100'])).toEqual({ code: 2, stdout: '', stderr: `--weights takes version=number pairs (decimal numbers); got "v1=".\n${usage}` });
    expect(await cli(['rollout', 'set-split', ...REPAYMENT, '--weights', 'v1=90=10'])).toEqual({ code: 2, stdout: '', stderr: `--weights takes version=number pairs (decimal numbers); got "v1=90=10".\n${usage}` });
    expect(await cli(['rollout', 'set-split', ...REPAYMENT, '--weights', 'v1=0x10,v2=10'])).toEqual({ code: 2, stdout: '', stderr: `--weights takes version=number pairs (decimal numbers); got "v1=0x10".\n${usage}` });
    expect(await cli(['rollout', 'set-split', ...REPAYMENT, '--weights', 'v1=90,v2=10,v1=50'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'The weights name version "v1" more than once; give each version one weight.\n',
    });
    expect(await firstLine(['rollout', 'status', ...REPAYMENT])).toBe('creditScore.repayment  split  running  split(v1=80%,v2=20%)  (revision 1)');
  });

  it('without the admin token, commands that change something exit 1 with the UNAUTHENTICATED message; status still works', async () => {
    const ws = workspace();
    await serve(ws);
    const outcomes = path.join(ws.dir, 'outcomes.jsonl');
    writeFileSync(outcomes, `${JSON.stringify({ requestId: 'any', value: 1 })}\n`);
    const needsToken = 'This operation needs the admin token (Authorization: Bearer <token>).\n';
    expect(await cli(['rollout', 'pause', ...REPAYMENT], '')).toEqual({ code: 1, stdout: '', stderr: needsToken });
    expect(await cli(['rollout', 'set-split', ...REPAYMENT, '--weights', 'v1=1,v2=1'], '')).toEqual({ code: 1, stdout: '', stderr: needsToken });
    expect(await cli(['rollout', 'promote', ...REPAYMENT, '--version', 'v2'], 'wrong')).toEqual({ code: 1, stdout: '', stderr: 'The admin token is wrong.\n' });
    expect(await cli(['outcomes', outcomes], '')).toEqual({ code: 1, stdout: '', stderr: needsToken });
    expect(existsSync(`${outcomes}.rejects.jsonl`)).toBe(false);
    expect((await cli(['rollout', 'status', ...REPAYMENT], '')).stdout.split('\n')[0]).toBe('creditScore.repayment  split  running  split(v1=80%,v2=20%)  (revision 1)');
  });
});

/** Probes until `done` holds (or a generous timeout passes) and returns the last value, for the caller to assert on. */
async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await probe();
  }
  return value;
}

/** The message JSON.parse gives for a text (it differs between Node versions). */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} parses`);
}
