/**
 * `npm run bench`: Tessera side by side with the raw onnxruntime limit, a hand-written peer and the
 * GraphQL floor, on this machine, the same models (the bundled example) and the same rows, with
 * warm-up and repeats. Prints a Markdown table and writes JSON to bench/results/.
 *
 *   npm run bench                   # the comparison (a)-(k), about 9 minutes
 *   npm run bench -- --repeats 5    # more repeats for tighter spreads
 *   npm run bench -- --soak         # RSS over 5 minutes at concurrency 64 (separately)
 *
 * The load generator shares the two cores with the servers: compare ratios within one run, not
 * absolute numbers across runs.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { APPLICANT_INPUT_FIELDS, generateApplicants, type ApplicantInput } from '../examples/credit-score/generate.js';
import type * as Library from '../src/index.js';
import { LOAD_GENERATOR, load, rssMb, startChild, type Child, type LoadResult } from './load.js';
import { encodingCost } from './encoding.js';
import { loadModels, scoreRows } from './models.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    soak: { type: 'boolean', default: false },
    'soak-minutes': { type: 'string', default: '5' },
  },
});
const repeats = Number(values.repeats);

/**
 * The Node flags the README recommends for serving and bulk scoring (`npm start` uses them): a 64 MB
 * young generation. Every process the bench starts gets them, the peer and the floor too, so that no
 * ratio comes from a Node flag; the bench process itself, where (f) runs, is started with them by
 * `npm run bench`.
 */
const CLI = path.join(root, 'dist/cli/main.js');
const NODE_FLAGS = ['--max-semi-space-size=64'];
const missingFlags = NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag));
if (missingFlags.length > 0) throw new Error(`Run the bench with \`npm run bench\`: this process lacks the Node flags ${missingFlags.join(' ')} that the bench runs everything with.`);
const seconds = Number(values.seconds);

const ROWS = 100_000;
const applicants = generateApplicants(ROWS, 20261128).map((a) => Object.fromEntries(APPLICANT_INPUT_FIELDS.map((f) => [f, a[f]])) as unknown as ApplicantInput);
const QUERY = 'query Score($input: CreditScoreInput!) { creditScore(input: $input) { requestId score grade decision reasons { code } routing { node version sha256 } } }';
const graphqlBodies = applicants.slice(0, 2000).map((input) => JSON.stringify({ query: QUERY, variables: { input } }));
const peerBodies = applicants.slice(0, 2000).map((input) => JSON.stringify(input));
const floorBodies = [JSON.stringify({ query: '{ hello }' })];

interface Measure {
  readonly name: string;
  readonly unit: string;
  readonly runs: number[];
  readonly extra?: Record<string, number | null>;
}
const measures: Measure[] = [];
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const log = (line: string) => process.stderr.write(`${line}\n`);

async function repeat(name: string, unit: string, once: () => Promise<number>, extra?: () => Record<string, number | null>): Promise<Measure> {
  await once(); // warm-up
  const runs: number[] = [];
  for (let i = 0; i < repeats; i++) runs.push(await once());
  const measure = { name, unit, runs, ...(extra ? { extra: extra() } : {}) };
  measures.push(measure);
  log(`${name}: ${median(runs).toFixed(1)} ${unit} (${runs.map((r) => r.toFixed(1)).join(', ')})`);
  return measure;
}

async function loadRepeat(name: string, child: Child, bodies: readonly string[], connections: number): Promise<LoadMeasures> {
  return (await loadInterleaved([{ name, child }], bodies, connections, repeats))[0] as LoadMeasures;
}

interface LoadMeasures {
  readonly rps: Measure;
  readonly p50: Measure;
  readonly p99: Measure;
}

/**
 * Load on several servers in turn, repeat by repeat, the order rotating: drift over the run (a
 * neighbour's load, the page cache, thermal limits) falls on each of them alike, so their ratios
 * can be read closer than run-to-run spread. Each is warmed up first.
 */
async function loadInterleaved(servers: readonly { name: string; child: Child }[], bodies: readonly string[], connections: number, times: number): Promise<LoadMeasures[]> {
  for (const { name, child } of servers) await checkAnswer(name, child.url, bodies);
  for (const { child } of servers) await load({ url: child.url, bodies, connections, seconds: 2 });
  const results = servers.map((): LoadResult[] => []);
  for (let i = 0; i < times; i++) {
    for (let j = 0; j < servers.length; j++) {
      const k = (i + j) % servers.length;
      const { child } = servers[k] as { child: Child };
      results[k]?.push(await load({ url: child.url, bodies, connections, seconds, pid: child.process.pid as number }));
    }
  }
  for (const { name, child } of servers) await checkAnswer(name, child.url, bodies);
  return servers.map(({ name }, k) => summarize(name, results[k] as LoadResult[]));
}

/**
 * A few requests before and after the load, read in full: the load generator counts only HTTP
 * failures, and a server answering every request 200 with GraphQL errors would look fast.
 */
async function checkAnswer(name: string, url: string, bodies: readonly string[]): Promise<void> {
  for (const body of bodies.slice(0, 3)) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await response.text();
    const json = JSON.parse(text) as { errors?: unknown };
    if (!response.ok || json.errors !== undefined) throw new Error(`${name} answered ${response.status} with errors: ${text.slice(0, 300)}`);
  }
}

function summarize(name: string, results: readonly LoadResult[]): LoadMeasures {
  // Socket errors and timeouts of the load generator are reported, not hidden (c=256 can exceed wrk's 2 s timeout).
  const errors = results.reduce((sum, r) => sum + r.errors + r.non2xx, 0);
  const push = (suffix: string, unit: string, pick: (r: LoadResult) => number, extra?: Record<string, number | null>) => {
    const measure = { name: `${name} ${suffix}`, unit, runs: results.map(pick), ...(extra ? { extra } : {}) };
    measures.push(measure);
    return measure;
  };
  const last = results[results.length - 1] as LoadResult;
  const rps = push('throughput', 'req/s', (r) => r.requestsPerSecond, { cpuCores: median(results.map((r) => r.cpuCores ?? 0)), rssMb: last.rssMb, errors });
  const p50 = push('p50', 'ms', (r) => r.p50Ms);
  const p99 = push('p99', 'ms', (r) => r.p99Ms);
  log(`${name}: ${median(rps.runs).toFixed(0)} req/s, p50 ${median(p50.runs)} ms, p99 ${median(p99.runs)} ms, CPU ${rps.extra?.cpuCores?.toFixed(2)} cores, RSS ${last.rssMb?.toFixed(0)} MB, ${errors} errors`);
  return { rps, p50, p99 };
}

const stateFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'tessera-bench-')), 'state.db');

function startTessera(env: NodeJS.ProcessEnv = {}, pipelines = path.join(root, 'pipelines')): Promise<Child> {
  return startChild(
    [...NODE_FLAGS, CLI, 'serve', '--pipelines', pipelines, '--state', stateFile(), '--port', '0', '--no-watch', '--no-graphiql'],
    /at (http:\/\/\S+)/,
    (m) => m[1] as string,
    env,
  );
}

/** An OTLP/HTTP receiver that accepts and counts what it is sent (a collector that drops it all). */
async function otlpSink(): Promise<{ url: string; requests: () => number; bytes: () => number; close(): Promise<void> }> {
  let requests = 0;
  let bytes = 0;
  const server = createHttpServer((request, response) => {
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      requests++;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests, bytes: () => bytes, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const tsChild = (file: string, args: readonly string[] = []) =>
  startChild([...NODE_FLAGS, '--import', 'tsx', path.join(root, 'bench', file), ...args], /(?:listening (\d+)|serving at (http:\/\/\S+))/, (m) => m[2] ?? `http://127.0.0.1:${m[1]}/graphql`);

/** The bundled pipelines with every ONNX node's session in a worker thread, in a folder of their own. */
function workerPipelines(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-bench-workers-'));
  const source = readFileSync(path.join(root, 'pipelines/credit-score.yaml'), 'utf8');
  const rewritten = source.replaceAll('../examples/', `${path.join(root, 'examples')}/`).replaceAll('    kind: onnx\n', '    kind: onnx\n    session: { thread: worker }\n');
  if (!rewritten.includes('thread: worker')) throw new Error('workerPipelines: no ONNX node found to rewrite in pipelines/credit-score.yaml');
  writeFileSync(path.join(dir, 'credit-score.yaml'), rewritten);
  return dir;
}

async function comparison(): Promise<void> {
  // (k) OTLP protobuf encoding per span, the reference serializer against Tessera's encoder.
  const encoding = encodingCost();
  log(`(k) OTLP encoding: otlp-transformer ${encoding.reference.toFixed(2)} µs/span, Tessera ${encoding.tessera.toFixed(2)} µs/span`);

  // (a) raw limit: the sub-models in batches of 256, in this process.
  const models = await loadModels();
  const raw = await repeat('(a) raw onnxruntime, batches of 256', 'rows/s', async () => {
    const started = performance.now();
    for (let i = 0; i < 20_000; i += 256) await scoreRows(models, applicants.slice(i, i + 256));
    return 20_000 / ((performance.now() - started) / 1000);
  });

  // (b) hand-written peer, (c) GraphQL floor, (d) Tessera online.
  const peer = await tsChild('peer.ts');
  const peer1 = await loadRepeat('(b) hand-written peer c=1', peer, peerBodies, 1);
  const peer64 = await loadRepeat('(b) hand-written peer c=64', peer, peerBodies, 64);
  await peer.stop();
  const floor = await tsChild('floor.ts');
  const floor64 = await loadRepeat('(c) GraphQL floor c=64', floor, floorBodies, 64);
  await floor.stop();
  // Telemetry cost at c=64, five servers side by side, loaded in turn: the tracing code paths off,
  // on with no exporter (the default), OTLP export of every span to a receiver, OTLP export of one
  // new trace in ten, and every span recorded but dropped before encoding (what the SDK alone costs).
  const sink = await otlpSink();
  const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_MAX_QUEUE_SIZE: '65536' };
  const telemetry = [
    { name: '(g) Tessera c=64, TESSERA_TRACING=off', child: await startTessera({ TESSERA_TRACING: 'off' }) },
    { name: "(d') Tessera c=64, no exporter (the default)", child: await startTessera() },
    { name: '(h) Tessera c=64, OTLP export of every span', child: await startTessera({ ...otlp, OTEL_TRACES_SAMPLER: 'always_on' }) },
    { name: '(i) Tessera c=64, OTLP export, 10% of new traces', child: await startTessera({ ...otlp, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }) },
    { name: '(j) Tessera c=64, every span recorded, none exported', child: await tsChild('recordingServer.ts', [stateFile()]) },
  ];
  const [tracingOff, tracingNoExporter, tracingOtlp, tracingSampled, tracingRecorded] = (await loadInterleaved(telemetry, graphqlBodies, 64, Math.max(repeats, 5))) as LoadMeasures[] as [
    LoadMeasures,
    LoadMeasures,
    LoadMeasures,
    LoadMeasures,
    LoadMeasures,
  ];
  for (const { child } of telemetry) await child.stop();
  log(`OTLP receiver: ${sink.requests()} export requests, ${(sink.bytes() / 2 ** 20).toFixed(1)} MiB`);
  await sink.close();

  // ONNX sessions in worker threads (session.thread: worker) against the main thread, at c=1 and
  // c=64: two servers loaded in turn.
  const threads = [
    { name: '(w) Tessera, models on the main thread', child: await startTessera() },
    { name: '(w) Tessera, models in worker threads', child: await startTessera({}, workerPipelines()) },
  ];
  const threadMeasures: Record<number, LoadMeasures[]> = {};
  for (const c of [1, 64]) {
    threadMeasures[c] = await loadInterleaved(
      threads.map(({ name, child }) => ({ name: `${name} c=${c}`, child })),
      graphqlBodies,
      c,
      repeats,
    );
  }
  for (const { child } of threads) await child.stop();

  const tessera = await startTessera();
  const online: Record<number, LoadMeasures> = {};
  for (const c of [1, 16, 64, 256]) online[c] = await loadRepeat(`(d) Tessera online c=${c}`, tessera, graphqlBodies, c);

  // (e) bulk: the batch field with 1,000 applicants per request.
  const batchQuery = 'query Many($inputs: [CreditScoreInput!]!) { creditScoreBatch(inputs: $inputs) { requestId score grade decision } }';
  const batches = Array.from({ length: 10 }, (_, i) => JSON.stringify({ query: batchQuery, variables: { inputs: applicants.slice(i * 1000, (i + 1) * 1000) } }));
  const bulk = await repeat('(e) Tessera batch field, 1,000 per request', 'rows/s', async () => {
    const started = performance.now();
    for (const body of batches) {
      const response = await fetch(tessera.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = (await response.json()) as { errors?: unknown[] };
      if (json.errors) throw new Error(`batch field: ${JSON.stringify(json.errors).slice(0, 300)}`);
    }
    return 10_000 / ((performance.now() - started) / 1000);
  });
  await tessera.stop();

  // (e) bulk: tessera run over 100,000 rows (a process of its own, start-up included).
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-bench-'));
  const csv = path.join(dir, 'applicants.csv');
  writeFileSync(csv, `${APPLICANT_INPUT_FIELDS.join(',')}\n${applicants.map((a) => APPLICANT_INPUT_FIELDS.map((f) => a[f]).join(',')).join('\n')}\n`);
  const cli = await repeat('(e) tessera run, 100,000 rows', 'rows/s', async () => {
    const started = performance.now();
    execFileSync(process.execPath, [...NODE_FLAGS, CLI, 'run', csv, '--pipelines', path.join(root, 'pipelines'), '--pipeline', 'creditScore', '--state', 'memory', '--output', path.join(dir, 'out.csv'), '--no-progress'], { stdio: 'ignore' });
    return ROWS / ((performance.now() - started) / 1000);
  });

  // (f) in-process: the engine without HTTP, 256 requests in flight.
  // The built library, as a service embedding Tessera would run it (not through the TS loader).
  const tessera_ = (await import(pathToFileURL(path.join(root, 'dist/index.js')).href)) as typeof Library;
  const engine = tessera_.createEngine(await tessera_.assertPipelines(path.join(root, 'pipelines')));
  const inProcess = await repeat('(f) Tessera in-process, concurrency 256', 'rows/s', async () => {
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < 50_000) {
        const input = applicants[next++] as unknown as Record<string, unknown>;
        const result = await engine.run('creditScore', input);
        if (result.errors.length > 0) throw new Error(JSON.stringify(result.errors));
      }
    };
    await Promise.all(Array.from({ length: 256 }, worker));
    return 50_000 / ((performance.now() - started) / 1000);
  });
  await engine.close();

  // The table.
  const m = (x: Measure) => median(x.runs);
  const spread = (x: Measure) => `${Math.min(...x.runs).toFixed(x.unit === 'ms' ? 2 : 0)}–${Math.max(...x.runs).toFixed(x.unit === 'ms' ? 2 : 0)}`;
  const rows: string[] = [];
  rows.push('| measurement | median | spread over runs | server CPU (cores) | RSS (MB) | failed requests |', '| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const x of measures) {
    rows.push(`| ${x.name} | ${m(x).toFixed(x.unit === 'ms' ? 2 : 0)} ${x.unit} | ${spread(x)} | ${x.extra?.cpuCores?.toFixed(2) ?? ''} | ${x.extra?.rssMb?.toFixed(0) ?? ''} | ${x.extra?.errors ?? ''} |`);
  }
  // Servers loaded in turn are compared round by round: each round's runs are seconds apart, so the
  // machine's drift between minutes cancels. The median of the per-round ratios, and their range.
  const paired = (x: Measure, baseline: Measure) => {
    const ratios = x.runs.map((run, i) => run / (baseline.runs[i] as number));
    return { ratio: median(ratios), rounds: `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} over ${ratios.length} rounds` };
  };
  // Measures taken minutes apart: the ratio of their medians, and the widest it could be from
  // their runs (lowest over highest, highest over lowest).
  const apart = (x: Measure, baseline: Measure) => ({
    ratio: m(x) / m(baseline),
    rounds: `${(Math.min(...x.runs) / Math.max(...baseline.runs)).toFixed(2)}–${(Math.max(...x.runs) / Math.min(...baseline.runs)).toFixed(2)} from the runs' extremes`,
  });
  const threads64 = threadMeasures[64] as LoadMeasures[];
  const targets = [
    ['(f) in-process ≥ 0.8 × (a) raw', apart(inProcess, raw), 0.8],
    ['(e) batch field ≥ 0.5 × (a) raw', apart(bulk, raw), 0.5],
    ['(e) tessera run ≥ 0.5 × (a) raw', apart(cli, raw), 0.5],
    ['(d) c=64 ≥ 1.5 × (b) c=64', apart((online[64] as { rps: Measure }).rps, peer64.rps), 1.5],
    ['(d) c=64 ≥ 0.7 × (c) c=64', apart((online[64] as { rps: Measure }).rps, floor64.rps), 0.7],
    ["(d') no exporter ≥ 0.97 × (g) tracing off", paired(tracingNoExporter.rps, tracingOff.rps), 0.97],
    ['(h) OTLP export of every span ≥ 0.85 × (g) tracing off', paired(tracingOtlp.rps, tracingOff.rps), 0.85],
  ] as const;
  // Not targets: where the cost of (h) comes from, and what sampling and worker threads change.
  const facts = [
    ['(i) OTLP export of 10% of new traces / (g) tracing off', paired(tracingSampled.rps, tracingOff.rps)],
    ['(j) spans recorded, none exported / (g) tracing off', paired(tracingRecorded.rps, tracingOff.rps)],
    ['(w) models in worker threads / main thread, c=64 req/s', paired(threads64[1]!.rps, threads64[0]!.rps)],
  ] as const;
  const workerP50Gap = m((threadMeasures[1] as LoadMeasures[])[1]!.p50) - m((threadMeasures[1] as LoadMeasures[])[0]!.p50);
  const p50gap = m((online[1] as { p50: Measure }).p50) - m(peer1.p50);
  rows.push('', '| target | measured | spread: per round (servers loaded in turn), or from the runs\' extremes | met |', '| --- | ---: | ---: | :---: |');
  for (const [name, { ratio, rounds }, target] of targets) rows.push(`| ${name} | ${ratio.toFixed(2)} × | ${rounds} | ${ratio >= target ? 'yes' : 'no'} |`);
  rows.push(`| (d) c=1 p50 ≤ (b) c=1 p50 + 0.3 ms | ${p50gap >= 0 ? '+' : ''}${p50gap.toFixed(2)} ms |  | ${p50gap <= 0.3 ? 'yes' : 'no'} |`);
  rows.push('', '| ratio (no target) | measured | per-round ratios |', '| --- | ---: | ---: |');
  for (const [name, { ratio, rounds }] of facts) rows.push(`| ${name} | ${ratio.toFixed(2)} × | ${rounds} |`);
  rows.push(`| (w) models in worker threads − main thread, c=1 p50 | ${workerP50Gap >= 0 ? '+' : ''}${workerP50Gap.toFixed(2)} ms |`);
  rows.push(`| (k) OTLP encoding per span, otlp-transformer / Tessera's encoder | ${encoding.reference.toFixed(2)} / ${encoding.tessera.toFixed(2)} µs |`);
  const table = rows.join('\n');
  process.stdout.write(`\n${machine()}\n\n${table}\n`);
  save('comparison', {
    machine: machine(),
    measures,
    targets: targets.map(([name, { ratio, rounds }, target]) => ({ name, ratio, rounds, target, met: ratio >= target })),
    p50gap,
    facts: facts.map(([name, { ratio, rounds }]) => ({ name, ratio, rounds })),
    workerP50Gap,
    encoding,
  });
}

async function soak(): Promise<void> {
  const minutes = Number(values['soak-minutes']);
  const tessera = await startTessera();
  const pid = tessera.process.pid as number;
  await load({ url: tessera.url, bodies: graphqlBodies, connections: 64, seconds: 30 });
  const samples: { minute: number; rssMb: number | null; requestsPerSecond: number }[] = [];
  const baseline = rssMb(pid);
  for (let i = 0; i < minutes * 2; i++) {
    const result = await load({ url: tessera.url, bodies: graphqlBodies, connections: 64, seconds: 30, pid });
    samples.push({ minute: (i + 1) / 2, rssMb: result.rssMb, requestsPerSecond: result.requestsPerSecond });
    log(`soak ${((i + 1) / 2).toFixed(1)} min: RSS ${result.rssMb?.toFixed(1)} MB, ${result.requestsPerSecond.toFixed(0)} req/s`);
  }
  await tessera.stop();
  // RSS moves ±10% with the garbage collector from window to window: compare the first and the
  // last minute (two windows each) rather than two single readings.
  const mean = (xs: readonly { rssMb: number | null }[]) => xs.reduce((sum, x) => sum + (x.rssMb ?? 0), 0) / xs.length;
  const first = mean(samples.slice(0, 2));
  const last = mean(samples.slice(-2));
  const growth = first > 0 ? (last - first) / first : null;
  const table = [
    '| minute | RSS (MB) | req/s |',
    '| ---: | ---: | ---: |',
    `| 0 (after 30 s warm-up) | ${baseline?.toFixed(1)} | |`,
    ...samples.map((s) => `| ${s.minute} | ${s.rssMb?.toFixed(1)} | ${s.requestsPerSecond.toFixed(0)} |`),
    '',
    `RSS, mean of the last minute against the first after warm-up: ${first.toFixed(1)} → ${last.toFixed(1)} MB, ${growth === null ? 'n/a' : `${growth >= 0 ? '+' : ''}${(100 * growth).toFixed(1)}%`} (target < 10%): ${growth !== null && growth < 0.1 ? 'met' : 'not met'}`,
  ].join('\n');
  process.stdout.write(`\n${machine()}\n\n${table}\n`);
  save('soak', { machine: machine(), baseline, samples, first, last, growth });
}

function machine(): string {
  return `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${new Date().toISOString().slice(0, 10)}; load generator ${LOAD_GENERATOR}; repeats ${repeats} × ${seconds} s`;
}

function save(kind: string, data: unknown): void {
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${kind}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  log(`Wrote ${path.relative(root, file)}`);
}

await (values.soak ? soak() : comparison());
