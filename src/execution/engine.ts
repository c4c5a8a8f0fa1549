import { didYouMean, ErrorCode, TesseraError } from '../errors/index.js';
import { releasePipelines } from '../definition/load.js';
import type { PipelineDefinition, Value } from '../definition/types.js';
import { planPipeline, type PipelinePlan, type PlannedOutput } from '../plan/plan.js';
import { RolloutManager, type OutcomeReport } from '../routing/rollouts/index.js';
import type { OutcomeInput } from '../state/index.js';
import { createInstruments } from '../telemetry/instruments.js';
import type { EngineTelemetry } from '../telemetry/run.js';
import { coerceInput, type InputProblem } from './input.js';
import type { PromiseOrValue } from './promiseOrValue.js';
import { PipelineRun, type RoutingDecision, type StartOptions } from './run.js';

export type { StartOptions };

/** The answer to one request outside GraphQL: output values, per-output errors, versions used. */
export interface RunResult {
  readonly requestId: string;
  readonly outputs: Readonly<Record<string, Value | null>>;
  readonly errors: readonly { readonly output: string; readonly code: string; readonly message: string }[];
  readonly decisions: readonly RoutingDecision[];
}

export interface RunOptions extends StartOptions {
  /** Which pipeline outputs to compute; default all. Only the nodes they need run. */
  readonly outputs?: readonly string[];
}

export interface EngineOptions {
  /**
   * The rollouts (and so the state store) the engine routes with, prepared for these pipelines
   * (`await rollouts.prepare(pipelines)`). Default: in memory, every rollout starting from the
   * pipeline files; decisions kept for a day.
   */
  readonly rollouts?: RolloutManager;
  /**
   * Call the tracing API (default true; the SDK, if any, decides what is recorded). False skips
   * the tracing code paths entirely; TESSERA_TRACING=off does the same for `tessera serve`.
   */
  readonly tracing?: boolean;
  /**
   * How long `close()` waits for runs (and shadow runs) still in flight before it releases the
   * models anyway, in ms. Default 30,000: a node with no timeout whose model hangs must not keep a
   * shutdown or a reload from finishing.
   */
  readonly closeTimeoutMs?: number;
}

/** Runs pipelines: the library entry point that the GraphQL server and the CLI share. */
export interface Engine {
  readonly pipelines: ReadonlyMap<string, PipelinePlan>;
  readonly rollouts: RolloutManager;
  /** The plan of a pipeline; NOT_FOUND if there is none of that name. */
  plan(pipeline: string): PipelinePlan;
  /** Starts a request on an already validated input; the given nodes start at once. */
  start(plan: PipelinePlan, input: Readonly<Record<string, Value>>, nodes: readonly number[], options?: StartOptions): PipelineRun;
  /** Validates `input`, runs the pipeline and collects its outputs. Throws BAD_USER_INPUT for bad input. */
  run(pipeline: string, input: Readonly<Record<string, unknown>>, options?: RunOptions): Promise<RunResult>;
  /** Records outcomes for earlier requests (see `RolloutManager.reportOutcomes`). */
  reportOutcomes(outcomes: readonly OutcomeInput[]): Promise<OutcomeReport[]>;
  /**
   * Takes no more requests (`start` and `run` then throw FAILED_PRECONDITION), waits for the runs in
   * flight to settle and for the shadow runs they started, and releases the model sessions: a
   * request that started before `close` is answered as if the engine stayed open. Waits at most
   * `closeTimeoutMs`. The rollouts are not closed: they outlive an engine across reloads.
   * Idempotent.
   */
  close(): Promise<void>;
}

/** Creates an engine over loaded pipelines (see `loadPipelines`). */
export function createEngine(definitions: readonly PipelineDefinition[], options: EngineOptions = {}): Engine {
  const rollouts = options.rollouts ?? defaultRollouts(definitions);
  for (const definition of definitions) {
    const missing = definition.nodes.find((node) => !rollouts.has(definition.name, node));
    if (missing) throw new Error(`The rollouts were not prepared for node "${missing.id}" of pipeline "${definition.name}": await rollouts.prepare(pipelines) before createEngine.`);
  }
  // Instruments come from the MeterProvider registered now (the server registers before this).
  const telemetry: EngineTelemetry = { tracing: options.tracing ?? process.env.TESSERA_TRACING !== 'off', instruments: createInstruments() };
  const pipelines = new Map(definitions.map((definition) => [definition.name, planPipeline(definition, rollouts, telemetry.instruments)]));
  // Decisions are kept only where outcomes can be attributed: pipelines with a node that learns.
  const logged = new Set(
    rollouts.logsDecisions ? definitions.filter((d) => d.nodes.some((node) => LEARNING.has(node.routing.policy))).map((d) => d.name) : [],
  );
  const plan = (name: string): PipelinePlan => {
    const found = pipelines.get(name);
    if (!found) {
      const names = [...pipelines.keys()];
      throw new TesseraError(ErrorCode.NotFound, `No pipeline "${name}". Pipelines: ${names.join(', ')}.${didYouMean(name, names)}`, { pipeline: name });
    }
    return found;
  };
  // Runs not yet settled and shadow runs still going, which close() waits for before it releases
  // their models.
  const open = new Set<PipelineRun>();
  const shadows = new Set<Promise<unknown>>();
  const background = (work: Promise<unknown>) => {
    shadows.add(work);
    const done = () => shadows.delete(work);
    work.then(done, done);
  };
  let closed: Promise<void> | undefined;
  const start: Engine['start'] = (target, input, nodes, options = {}) => {
    if (closed) throw new TesseraError(ErrorCode.FailedPrecondition, 'The engine is closed: the server is shutting down or has reloaded its pipelines. Retry the request.');
    const run = new PipelineRun(target, input, telemetry, options, background);
    run.start(nodes);
    if (logged.has(target.name)) {
      const log = () =>
        rollouts.logDecisions({
          requestId: run.requestId,
          pipeline: target.name,
          at: rollouts.clock.now(),
          // Only the nodes that learn from outcomes: that is what attribution needs, and it keeps
          // the log small (a RoutingDecision is a NodeDecision with more fields: no copies).
          nodes: run.decisions.filter(learns),
        });
      // Pure pipelines finish inside start(): then at once.
      run.whenSettled(log);
    }
    if (run.busy) {
      open.add(run);
      run.whenSettled(() => open.delete(run));
    }
    return run;
  };
  return {
    pipelines,
    rollouts,
    reportOutcomes: (outcomes) => rollouts.reportOutcomes(outcomes),
    plan,
    start,
    async run(name, raw, options = {}) {
      const target = plan(name);
      const checked = coerceInput(target.input, raw);
      if (!checked.ok) throw inputError(checked.problems);
      const outputs = options.outputs ? options.outputs.map((output) => outputByName(target, output)) : target.outputs;
      const run = start(target, checked.value, outputNodes(outputs), options);
      return afterSettled(run, () => {
        const { values, errors } = readOutputs(run, outputs);
        return { requestId: run.requestId, outputs: values, errors, decisions: run.decisions };
      });
    },
    close() {
      closed ??= (async () => {
        const drained = (async () => {
          await Promise.all([...open].map((run) => run.settled()));
          // A shadow starts an event-loop turn after its primary answered (setImmediate, so that it
          // never delays the answer): after one more turn every scheduled shadow has started.
          await new Promise((resolve) => setImmediate(resolve));
          await Promise.allSettled([...shadows]);
        })();
        await waitAtMost(drained, options.closeTimeoutMs ?? 30_000);
        await releasePipelines(definitions);
      })();
      return closed;
    },
  };
}

const learns = (decision: RoutingDecision) => decision.scope !== undefined;

/** Waits for `work`, but no longer than `ms`. */
async function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Policies whose nodes learn from outcomes. */
const LEARNING = new Set(['split', 'canary', 'bandit']);

function defaultRollouts(definitions: readonly PipelineDefinition[]): RolloutManager {
  const rollouts = new RolloutManager({ analysisIntervalMs: 1000, refreshIntervalMs: 0, retentionMs: 86_400_000, pruneIntervalMs: 600_000 });
  rollouts.prepareFresh(definitions);
  return rollouts;
}

const nodesOfOutputs = new WeakMap<readonly PlannedOutput[], number[]>();

/** The nodes to start for a set of outputs (computed once per list). */
export function outputNodes(outputs: readonly PlannedOutput[]): number[] {
  let nodes = nodesOfOutputs.get(outputs);
  if (!nodes) nodesOfOutputs.set(outputs, (nodes = [...new Set(outputs.flatMap((o) => (o.node >= 0 ? [o.node] : [])))]));
  return nodes;
}

/** A run's outputs: a value per output, `null` with an error for outputs whose node failed. */
export interface CollectedOutputs {
  readonly values: Record<string, Value | null>;
  readonly errors: RunResult['errors'];
}

/**
 * Waits for many runs with one promise (none when all have settled already): a batch of a thousand
 * rows does not make a thousand.
 */
export function settleAll(runs: readonly PipelineRun[]): PromiseOrValue<void> {
  let busy = 0;
  for (const run of runs) if (run.busy) busy++;
  if (busy === 0) return undefined;
  return new Promise((resolve) => {
    for (const run of runs) if (run.busy) run.whenSettled(() => --busy === 0 && resolve());
  });
}

/** `read()` once the run has settled: at once, without a promise, when it has already. */
export function afterSettled<T>(run: PipelineRun, read: () => T): PromiseOrValue<T> {
  return run.busy ? run.settled().then(read) : read();
}

/** The outputs of a run that has settled (see `PipelineRun.whenSettled`). */
export function readOutputs(run: PipelineRun, outputs: readonly PlannedOutput[]): CollectedOutputs {
  const values: Record<string, Value | null> = {};
  const errors: { output: string; code: string; message: string }[] = [];
  for (const output of outputs) {
    const failure = output.node >= 0 ? run.error(output.node) : undefined;
    if (failure) {
      values[output.name] = null;
      errors.push({ output: output.name, code: failure.code, message: failure.message });
    } else {
      values[output.name] = output.read(run);
    }
  }
  return { values, errors };
}

function outputByName(plan: PipelinePlan, name: string): PipelinePlan['outputs'][number] {
  const output = plan.outputs.find((o) => o.name === name);
  if (!output) {
    const names = plan.outputs.map((o) => o.name);
    throw new TesseraError(ErrorCode.NotFound, `Pipeline "${plan.name}" has no output "${name}".${didYouMean(name, names)}`, { output: name });
  }
  return output;
}

/** BAD_USER_INPUT listing every broken rule; `details.problems` carries them for clients. */
export function inputError(problems: readonly InputProblem[]): TesseraError {
  const first = problems[0] as InputProblem;
  const message = problems.length === 1 ? first.message : `${problems.length} input problems: ${problems.map((p) => p.message).join(' ')}`;
  return new TesseraError(ErrorCode.BadUserInput, message, {
    field: first.field,
    rule: first.rule,
    problems: problems.map((p) => ({ field: p.field, rule: p.rule, message: p.message, ...(p.limit !== undefined ? { limit: p.limit } : {}) })),
  });
}
