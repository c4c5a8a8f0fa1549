import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { didYouMean } from '../errors/index.js';
import type { Value } from '../definition/types.js';
import { outputNodes, readOutputs, settleAll, type Engine } from '../execution/engine.js';
import { openEngine } from './state.js';
import { coerceInput } from '../execution/input.js';
import type { PipelineRun, RoutingDecision } from '../execution/run.js';
import type { PipelinePlan } from '../plan/plan.js';
import { integerOption, parseCommandArgs, PIPELINES_OPTION, pipelineLocations, STATE_OPTION, stateLocation, UsageError } from './args.js';
import type { Command } from './command.js';
import { checkInputFile, csvField, openRejectsFile, readRecordBatches, setField, type InputRecord } from './records.js';

/** Exit code when every row was read but some were rejected or failed. */
export const EXIT_ROWS_FAILED = 3;

export const runCommand: Command = {
  name: 'run',
  summary: 'Score a CSV or JSONL file in bulk; write outputs with the versions used.',
  usage: 'tessera run FILE --pipeline NAME [--output FILE] [--format csv|jsonl] [--batch-size N] [--rejects FILE] [--columns A,B,-] [--passthrough A,B] [--line-keys]',
  help: `Reads FILE (UTF-8; CSV with a header row, or JSONL: one object per line; by extension or --input-format),
scores it through the engine in batches (rows of a batch share model runs) and writes one output row per
input row, in order: passthrough columns, the routing key, requestId, every pipeline output, the versions
used (node=version@sha256-prefix) and the error of a row whose node failed.
Rows that cannot be read or fail input validation go to the rejects file (JSONL: line, error, raw) and are
counted; nothing is dropped silently. A progress bar is shown on a terminal.
  --columns A,B,-     the file has no header row; these are its column names (- skips a column)
  --passthrough A,B   copy these input columns to the output (a pipeline input stays an input too)
  --line-keys         use the line number as the routing key when the file has none
  --rejects FILE      default: OUTPUT.rejects.jsonl (or FILE.rejects.jsonl when writing to stdout)
  --state PATH        the state store that keeps decisions for later outcomes (default as for serve)
Exit codes: 0 every row scored; ${EXIT_ROWS_FAILED} some rows rejected or failed; 1 pipeline problems; 2 usage.`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...PIPELINES_OPTION,
      pipeline: { type: 'string' },
      output: { type: 'string', short: 'o' },
      format: { type: 'string' },
      'input-format': { type: 'string' },
      'batch-size': { type: 'string' },
      rejects: { type: 'string' },
      columns: { type: 'string' },
      passthrough: { type: 'string' },
      'line-keys': { type: 'boolean', default: false },
      progress: { type: 'boolean' },
      ...STATE_OPTION,
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError('Give exactly one input file.');
    const inputFormat = formatOf(values['input-format'], file, '--input-format');
    const outputFormat = values.format ? formatOf(values.format, '', '--format') : values.output ? formatOf(undefined, values.output, '--format') : inputFormat;
    const batchSize = integerOption('batch-size', values['batch-size'], 1000, 1, 100_000);
    // Decisions go to the state store, so that outcomes for bulk-scored rows can be reported later.
    const opened = await openEngine(pipelineLocations(values.pipelines), stateLocation(values.state), { timers: false });
    const engine = opened.engine;
    try {
      if (!values.pipeline) {
        throw new UsageError(`--pipeline is required. Pipelines: ${[...engine.pipelines.keys()].join(', ')}.`);
      }
      const plan = engine.plan(values.pipeline);
      const options: BulkOptions = {
        plan,
        engine,
        file,
        inputFormat,
        outputFormat,
        batchSize,
        output: values.output,
        rejects: values.rejects ?? `${values.output ?? file}.rejects.jsonl`,
        columns: values.columns?.split(',').map((c) => c.trim()),
        passthrough: values.passthrough?.split(',').map((c) => c.trim()).filter(Boolean) ?? [],
        lineKeys: values['line-keys'] ?? false,
        progress: values.progress ?? io.interactive,
      };
      const summary = await scoreFile(options);
      io.stderr(
        `Scored ${summary.rows} row${summary.rows === 1 ? '' : 's'} in ${(summary.seconds).toFixed(2)} s (${Math.round(summary.rows / Math.max(summary.seconds, 1e-9))} rows/s): ` +
          `${summary.ok} ok, ${summary.failed} failed, ${summary.rejected} rejected${summary.rejected > 0 ? ` (see ${options.rejects})` : ''}.`,
      );
      return summary.failed + summary.rejected > 0 ? EXIT_ROWS_FAILED : 0;
    } finally {
      await opened.close();
    }
  },
};

function formatOf(explicit: string | undefined, file: string, option: string): 'csv' | 'jsonl' {
  const format = explicit ?? (/\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : /\.csv$/i.test(file) ? 'csv' : undefined);
  if (format === 'csv' || format === 'jsonl') return format;
  throw new UsageError(explicit ? `${option} must be csv or jsonl; got "${explicit}".` : `Cannot tell the format of "${file}" from its extension; pass ${option} csv or jsonl.`);
}

interface BulkOptions {
  readonly plan: PipelinePlan;
  readonly engine: Engine;
  readonly file: string;
  readonly inputFormat: 'csv' | 'jsonl';
  readonly outputFormat: 'csv' | 'jsonl';
  readonly batchSize: number;
  readonly output: string | undefined;
  readonly rejects: string;
  readonly columns: readonly string[] | undefined;
  readonly passthrough: readonly string[];
  readonly lineKeys: boolean;
  readonly progress: boolean;
}

interface Summary {
  rows: number;
  ok: number;
  failed: number;
  rejected: number;
  seconds: number;
}

/** Reads, validates, scores in batches and writes, in input order. */
async function scoreFile(options: BulkOptions): Promise<Summary> {
  const { plan, engine } = options;
  const summary: Summary = { rows: 0, ok: 0, failed: 0, rejected: 0, seconds: 0 };
  // Before the output is created: an input that cannot be read leaves nothing behind. (Not timed:
  // rows a second are the scoring's.)
  const total = await checkInputFile(options.file);
  const rejects = await openRejectsFile(options.rejects, [options.file, options.output]);
  const started = performance.now();
  const out = options.output ? createWriteStream(options.output) : undefined;
  const write = async (text: string) => {
    if (out) {
      if (!out.write(text)) await once(out, 'drain');
    } else {
      process.stdout.write(text);
    }
  };
  const reject = async (record: { line: number; error: string; raw: unknown }) => {
    summary.rejected++;
    await rejects.write(record.line, record.error, record.raw);
  };
  const progress = options.progress ? createProgress(total, summary) : undefined;
  const nodes = outputNodes(plan.outputs);
  const key = plan.definition.routingKey;
  const inputNames = new Set(plan.input.map((field) => field.name));
  const produced = [key, 'requestId', ...plan.outputs.map((o) => o.name), 'versions', 'error'];
  const clash = options.passthrough.find((name) => produced.includes(name));
  if (clash) throw new UsageError(`Passthrough column "${clash}" clashes with an output column of the same name; name it differently with --columns.`);
  const header = [...options.passthrough, ...produced];
  if (options.outputFormat === 'csv') await write(`${header.map(csvField).join(',')}\n`);
  let checkedColumns = false;
  let batch: BatchRow[] = [];
  const flush = async () => {
    // Start the whole batch in one go, so that its rows share model runs.
    const rows = batch;
    const runs = rows.map((row) => engine.start(plan, row.input, nodes));
    batch = [];
    // One write per batch, in input order, once every row has its answer.
    await settleAll(runs);
    let lines = '';
    for (let i = 0; i < rows.length; i++) lines += formatRow(rows[i] as BatchRow, runs[i] as PipelineRun, plan, options, summary);
    await write(lines);
    progress?.tick();
  };
  /** Validates one record: into the batch, or to the rejects file. */
  const admit = async (record: InputRecord) => {
    summary.rows++;
    if (!record.ok) return reject({ line: record.line, error: record.error, raw: record.raw });
    if (!checkedColumns) {
      checkColumns(record, plan, options);
      checkedColumns = true;
    }
    let fields = record.fields;
    const passthrough: Record<string, unknown> = {};
    if (options.passthrough.length > 0) {
      // A passthrough column that is also an input is copied and still read as the input.
      const inputs: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(record.fields)) {
        if (options.passthrough.includes(name)) setField(passthrough, name, value);
        if (!options.passthrough.includes(name) || inputNames.has(name)) setField(inputs, name, value);
      }
      fields = inputs;
    }
    if (options.lineKeys && (fields[key] === undefined || fields[key] === null || fields[key] === '')) fields = { ...fields, [key]: `line-${record.line}` };
    const checked = coerceInput(plan.input, fields, options.inputFormat === 'csv' ? 'text' : 'json');
    if (!checked.ok) return reject({ line: record.line, error: checked.problems.map((p) => p.message).join(' '), raw: record.raw });
    batch.push({ passthrough, input: checked.value });
    if (batch.length >= options.batchSize) await flush();
  };
  for await (const records of readRecordBatches(options.file, { format: options.inputFormat, columns: options.columns, onBytes: progress?.bytes })) {
    for (const record of records) await admit(record);
  }
  await flush();
  progress?.done();
  if (out) {
    out.end();
    await once(out, 'finish');
  }
  await rejects.close();
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** Unknown columns are a mistake to report before scoring, not per row. */
function checkColumns(record: Extract<InputRecord, { ok: true }>, plan: PipelinePlan, options: BulkOptions): void {
  const names = plan.input.map((f) => f.name);
  // A CSV header names every column (a JSONL object may leave a key out on some lines).
  const missing = options.inputFormat === 'csv' ? options.passthrough.find((name) => !(name in record.fields)) : undefined;
  if (missing !== undefined) throw new UsageError(`--passthrough names column "${missing}", which the file does not have.${didYouMean(missing, Object.keys(record.fields))}`);
  for (const column of Object.keys(record.fields)) {
    if (!names.includes(column) && !options.passthrough.includes(column)) {
      throw new UsageError(
        `Column "${column}" is not an input field of pipeline "${plan.name}".${didYouMean(column, names)} Pass --passthrough ${column} to copy it to the output.`,
      );
    }
  }
}

/** A row read, validated and waiting for its batch. */
interface BatchRow {
  readonly passthrough: Record<string, unknown>;
  readonly input: Readonly<Record<string, Value>>;
}

/** A scored row as an output line; `run` has settled. */
function formatRow(row: BatchRow, run: PipelineRun, plan: PipelinePlan, options: BulkOptions, summary: Summary): string {
  const collected = readOutputs(run, plan.outputs);
  const outputs = collected.values;
  const errors = collected.errors.length === 0 ? [] : [...new Set(collected.errors.map((e) => e.message))];
  if (errors.length > 0) summary.failed++;
  else summary.ok++;
  const key = plan.definition.routingKey;
  if (options.outputFormat === 'jsonl') {
    return `${JSON.stringify({
      ...row.passthrough,
      [key]: run.input[key],
      requestId: run.requestId,
      ...outputs,
      versions: run.decisions.map((d) => ({ node: d.node, version: d.version, sha256: d.sha256, policy: d.policy })),
      ...(errors.length > 0 ? { error: errors.join(' ') } : {}),
    })}\n`;
  }
  const versions = run.decisions.map(versionLabel).join(' ');
  const cells = [...options.passthrough.map((name) => row.passthrough[name]), run.input[key], run.requestId, ...plan.outputs.map((o) => outputs[o.name]), versions, errors.join(' ')];
  return `${cells.map(csvField).join(',')}\n`;
}

const versionLabels = new WeakMap<RoutingDecision, string>();

/** `node=version@sha256-prefix`, once per decision (requests routed alike share decisions). */
function versionLabel(decision: RoutingDecision): string {
  let label = versionLabels.get(decision);
  if (label === undefined) versionLabels.set(decision, (label = `${decision.node}=${decision.version}@${decision.sha256.slice(0, 12)}`));
  return label;
}

/** A one-line progress bar on stderr, redrawn at most every 100 ms. */
function createProgress(total: number, summary: Summary) {
  const started = performance.now();
  let read = 0;
  let last = 0;
  const draw = (force = false) => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    const share = total > 0 ? Math.min(1, read / total) : 1;
    const width = 30;
    const filled = Math.round(share * width);
    const rate = summary.rows / Math.max((now - started) / 1000, 1e-3);
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${summary.rows.toLocaleString('en')} rows, ${Math.round(rate).toLocaleString('en')} rows/s, ${summary.rejected} rejected `,
    );
  };
  return {
    bytes: (bytes: number) => {
      read = bytes;
    },
    tick: () => draw(),
    done: () => {
      draw(true);
      process.stderr.write('\n');
    },
  };
}

