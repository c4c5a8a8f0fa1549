import type { Context } from '@opentelemetry/api';
import { ErrorCode, TesseraError } from '../errors/index.js';
import type { Value } from '../definition/types.js';
import type { NodeOutputs, RowScope } from '../nodes/types.js';
import type { PipelinePlan, PlannedNode } from '../plan/plan.js';
import { isPromise, type PromiseOrValue } from './promiseOrValue.js';
import type { Assignment, RoutingPolicy } from '../routing/policy.js';
import { requestId as createRequestId } from './requestId.js';
import { RunTelemetry, type EngineTelemetry, type NodeTiming } from '../telemetry/run.js';

/** Which version answered for a node, and why: part of every response. */
export interface RoutingDecision {
  readonly node: string;
  readonly version: string;
  readonly sha256: string;
  /** The policy that chose it, e.g. `split(v1=90%,v2=10%)`. */
  readonly policy: string;
  readonly variant: string;
  /** The experiment, canary or bandit scope that counts this request (nodes that learn from outcomes). */
  readonly scope: string | undefined;
}

// Node states (the Uint8Array default is NOT_STARTED).
const NOT_STARTED = 0;
const RUNNING = 1;
const DONE = 2;
const FAILED = 3;

/** What waits for a node: a node (its index) that reads it, or a callback. */
type Waiter = number | (() => void);

/** How a run starts. */
export interface StartOptions {
  /** Default: a new UUIDv7. */
  readonly requestId?: string | undefined;
  /** The OpenTelemetry context the run's spans nest under; default the active context. */
  readonly traceContext?: Context | undefined;
}

/**
 * One request through one pipeline. Nodes run on demand: asking for a node runs what it reads
 * first, and nothing that no one asked for runs. Pure nodes finish synchronously; a failed node
 * fails the nodes that read it with UPSTREAM_FAILED while the others still answer.
 */
export class PipelineRun implements RowScope {
  readonly requestId: string;
  readonly input: Readonly<Record<string, Value>>;
  readonly unitKey: string;
  readonly decisions: RoutingDecision[] = [];
  readonly #plan: PipelinePlan;
  readonly #status: Uint8Array;
  readonly #values: (NodeOutputs | undefined)[];
  readonly #errors: (TesseraError | undefined)[];
  /** Per node waiting for its dependencies: how many have not finished yet. */
  readonly #waitingFor: Uint32Array;
  /** Per running node, what to do when it finishes: start a node that waited for it, or call back. */
  readonly #onFinish: (Waiter[] | undefined)[];
  readonly #telemetry: RunTelemetry;
  /** Nodes started and not finished. */
  #inFlight = 0;
  #failed = false;
  #idle: (() => void)[] = [];

  /** Told of each shadow execution that answers later (the engine waits for them when it closes). */
  readonly #background: ((work: Promise<unknown>) => void) | undefined;

  constructor(plan: PipelinePlan, input: Readonly<Record<string, Value>>, telemetry: EngineTelemetry, options: StartOptions = {}, background?: (work: Promise<unknown>) => void) {
    const size = plan.nodes.length;
    this.#plan = plan;
    this.#background = background;
    this.requestId = options.requestId ?? createRequestId();
    this.input = input;
    this.unitKey = String(input[plan.definition.routingKey]);
    this.#telemetry = new RunTelemetry(plan, telemetry, this.requestId, this.unitKey, options.traceContext);
    this.#status = new Uint8Array(size);
    this.#values = new Array(size);
    this.#errors = new Array(size);
    this.#waitingFor = new Uint32Array(size);
    this.#onFinish = new Array(size);
  }

  get plan(): PipelinePlan {
    return this.#plan;
  }

  /**
   * Starts the given nodes (and what they read) without waiting: they run concurrently. The run's
   * telemetry ends when they have all finished.
   */
  start(nodes: readonly number[]): void {
    for (const index of nodes) this.#ensure(index);
    this.whenSettled(() => this.#telemetry.finished(this.#failed));
  }

  /** The trace of this run, when it is traced. */
  get traceId(): string | null {
    return this.#telemetry.traceId;
  }

  /** Per-node timings of the nodes that ran (complete once the run has settled). */
  timings(): NodeTiming[] {
    return this.#telemetry.timings();
  }

  /** The node's outputs; throws (or rejects with) the node's TesseraError when it failed. */
  demand(index: number): PromiseOrValue<NodeOutputs> {
    this.#ensure(index);
    if (this.#status[index] !== RUNNING) return this.#result(index);
    return new Promise((resolve, reject) =>
      this.#waitFor(index, () => {
        if (this.#status[index] === FAILED) reject(this.#errors[index] as TesseraError);
        else resolve(this.#values[index] as NodeOutputs);
      }),
    );
  }

  outputs(index: number): NodeOutputs {
    return this.#values[index] as NodeOutputs;
  }

  /** Whether nodes started so far are still running. */
  get busy(): boolean {
    return this.#inFlight > 0;
  }

  /** Resolves once every node started so far has finished. */
  settled(): Promise<void> {
    return new Promise((resolve) => this.whenSettled(resolve));
  }

  /** Calls `callback` once every node started so far has finished: now, if none is running. */
  whenSettled(callback: () => void): void {
    if (this.#inFlight === 0) callback();
    else this.#idle.push(callback);
  }

  /** The error of a node that failed, if it did. */
  error(index: number): TesseraError | undefined {
    return this.#errors[index];
  }

  #result(index: number): NodeOutputs {
    if (this.#status[index] === FAILED) throw this.#errors[index];
    return this.#values[index] as NodeOutputs;
  }

  /**
   * Starts a node unless it has started: at once when what it reads is ready, else when the last
   * of its running dependencies finishes (no promise per waiting node: the runs it waits for start
   * it).
   */
  #ensure(index: number): void {
    if (this.#status[index] !== NOT_STARTED) return;
    this.#status[index] = RUNNING;
    this.#inFlight++;
    const node = this.#plan.nodes[index] as PlannedNode;
    let waiting = 0;
    for (const dep of node.deps) {
      this.#ensure(dep);
      if (this.#status[dep] === RUNNING) {
        waiting++;
        this.#waitFor(dep, index);
      }
    }
    // Dependencies that run finish in later jobs, never within this loop: the count is complete.
    if (waiting === 0) this.#execute(node);
    else this.#waitingFor[index] = waiting;
  }

  #waitFor(index: number, waiter: Waiter): void {
    (this.#onFinish[index] ??= []).push(waiter);
  }

  /** A node has finished (either way): what waited for it goes on, and the run settles when none runs. */
  #finished(index: number): void {
    this.#inFlight--;
    const waiters = this.#onFinish[index];
    this.#onFinish[index] = undefined;
    // Every waiter runs even if one throws (a bug): the first error is thrown once all have run, so
    // that no other node or caller is left waiting.
    let failure: { error: unknown } | undefined;
    for (const waiter of waiters ?? []) {
      try {
        if (typeof waiter === 'function') waiter();
        else if (--(this.#waitingFor[waiter] as number) === 0) this.#execute(this.#plan.nodes[waiter] as PlannedNode);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (this.#inFlight === 0 && this.#idle.length > 0) {
      for (const callback of this.#idle.splice(0)) {
        try {
          callback();
        } catch (error) {
          failure ??= { error };
        }
      }
    }
    if (failure) throw failure.error;
  }

  /** Routes and runs a node whose dependencies have finished; it finishes now or in a later job. */
  #execute(node: PlannedNode): void {
    for (const dep of node.deps) {
      if (this.#status[dep] === FAILED) return this.#fail(node, this.#errors[dep] as TesseraError, undefined);
    }
    const routing = node.routing;
    const telemetry = this.#telemetry;
    let assignment: Assignment;
    let decision: number | undefined;
    try {
      assignment = routing.policy.select(this.unitKey);
      decision = this.decisions.push(decisionFor(node, routing.policy, assignment)) - 1;
      telemetry.nodeStarted(node, this.decisions[decision] as RoutingDecision);
    } catch (error) {
      // Routing broke (a bug, not the model): this node fails, the run still settles.
      return this.#fail(node, error, decision);
    }
    // Only rollouts that analyse executions pay for timing them on their clock.
    const watched = routing.observes || assignment.shadow !== undefined;
    const started = watched ? this.#plan.clock.now() : 0;
    const fallback = node.def.execution.fallback ? (error: unknown) => this.#fallback(node, decision, error) : undefined;
    let result: PromiseOrValue<NodeOutputs>;
    try {
      result = telemetry.traced ? telemetry.within(node, () => this.#attempt(node, assignment.version)) : this.#attempt(node, assignment.version);
    } catch (error) {
      if (watched) this.#observe(node, assignment, started, undefined, true);
      if (!fallback) return this.#fail(node, error, decision);
      try {
        result = telemetry.within(node, () => fallback(error));
      } catch (fallbackError) {
        return this.#fail(node, fallbackError, decision);
      }
    }
    if (!isPromise(result)) {
      try {
        if (watched && !this.decisions[decision]?.variant.startsWith('fallback')) this.#observe(node, assignment, started, result, false);
      } finally {
        this.#succeed(node, result, decision);
      }
      return;
    }
    const primary = watched
      ? result.then(
          (outputs) => {
            this.#observe(node, assignment, started, outputs, false);
            return outputs;
          },
          (error: unknown) => {
            this.#observe(node, assignment, started, undefined, true);
            throw error;
          },
        )
      : result;
    void (fallback ? primary.catch((error: unknown) => telemetry.within(node, () => fallback(error))) : primary).then(
      (outputs) => this.#succeed(node, outputs, decision),
      (error: unknown) => this.#fail(node, error, decision),
    );
  }

  /**
   * Reports an execution to the rollout that watches its node (timed on the rollout's clock from
   * `started`), and after a success runs the shadow version the assignment asks for.
   */
  #observe(node: PlannedNode, assignment: Assignment, started: number, outputs: NodeOutputs | undefined, failed: boolean): void {
    const observation = { version: assignment.version, variant: assignment.variant, durationMs: this.#plan.clock.now() - started, failed, outputs };
    node.routing.observe(observation);
    if (assignment.shadow !== undefined && !failed) {
      node.routing.shadow(
        {
          execute: (shadow) => {
            const result = this.#shadow(node, shadow);
            if (isPromise(result)) this.#background?.(result);
            return result;
          },
        },
        observation,
      );
    }
  }

  /** Runs a shadow version of a node for its rollout, in a span of its own. */
  #shadow(node: PlannedNode, version: number): PromiseOrValue<NodeOutputs> {
    const span = this.#telemetry.shadowStarted(node, node.def.versions[version]?.name as string);
    try {
      const result = span.within(() => node.executor.execute(version, this));
      if (!isPromise(result)) {
        span.end();
        return result;
      }
      return result.then(
        (outputs) => {
          span.end();
          return outputs;
        },
        (error: unknown) => {
          span.end(error);
          throw error;
        },
      );
    } catch (error) {
      span.end(error);
      throw error;
    }
  }

  /** One try of one version, bounded by the node's timeout when it answers later. */
  #attempt(node: PlannedNode, version: number): PromiseOrValue<NodeOutputs> {
    const result = node.executor.execute(version, this);
    const timeoutMs = node.def.execution.timeoutMs;
    if (timeoutMs === undefined || !isPromise(result)) return result;
    const name = node.def.versions[version]?.name as string;
    return withTimeout(result, timeoutMs, () => new TesseraError(ErrorCode.NodeTimeout, `Node "${node.def.id}" (version ${name}) took longer than ${timeoutMs} ms.`, { node: node.def.id, version: name, timeoutMs }));
  }

  /**
   * The declared fallback answers for a node that failed or timed out; the decision says so, with
   * the reason, so that every response still names what produced it.
   */
  #fallback(node: PlannedNode, decision: number, error: unknown): PromiseOrValue<NodeOutputs> {
    const fallback = node.def.execution.fallback as NonNullable<PlannedNode['def']['execution']['fallback']>;
    const original = this.decisions[decision] as RoutingDecision;
    this.#telemetry.nodeFellBack(node, original, nodeError(node.def.id, original.version, error));
    const reason = error instanceof TesseraError && error.code === ErrorCode.NodeTimeout ? 'timeout' : 'error';
    if (fallback.kind === 'value') {
      this.decisions[decision] = { ...original, variant: 'fallback', policy: `fallback(${reason}: value instead of ${original.version})` };
      return fallback.outputs;
    }
    const index = node.def.versions.findIndex((v) => v.name === fallback.version);
    const version = node.def.versions[index] as PlannedNode['def']['versions'][number];
    this.decisions[decision] = { ...original, version: version.name, sha256: version.sha256, variant: 'fallback', policy: `fallback(${reason}: ${version.name} instead of ${original.version})` };
    return this.#attempt(node, index);
  }

  /** A node answered; `decision` is the index of its routing decision. */
  #succeed(node: PlannedNode, outputs: NodeOutputs, decision: number): void {
    this.#values[node.index] = outputs;
    this.#status[node.index] = DONE;
    try {
      this.#telemetry.nodeFinished(node, this.decisions[decision] as RoutingDecision, outputs, undefined);
    } finally {
      this.#finished(node.index);
    }
  }

  /**
   * A node failed: itself (`decision` is the index of its routing decision, which names the version
   * in the error), or upstream before it was routed (no decision).
   */
  #fail(node: PlannedNode, error: unknown, decision: number | undefined): void {
    const routed = decision === undefined ? undefined : (this.decisions[decision] as RoutingDecision);
    const failure = nodeError(node.def.id, routed?.version, error);
    this.#errors[node.index] = failure;
    this.#status[node.index] = FAILED;
    this.#failed = true;
    try {
      if (routed) this.#telemetry.nodeFinished(node, routed, undefined, failure);
    } finally {
      this.#finished(node.index);
    }
  }
}

const decisions = new WeakMap<Assignment, { readonly def: PlannedNode['def']; readonly decision: RoutingDecision }>();

/**
 * The decision for an assignment. Policies hand out the same assignment objects to every unit they
 * route alike, so each decision is built once (per node definition: a reload brings new ones) and
 * shared, frozen, by the requests it describes; a fallback replaces a run's decision, never edits it.
 */
function decisionFor(node: PlannedNode, policy: RoutingPolicy, assignment: Assignment): RoutingDecision {
  const cached = decisions.get(assignment);
  if (cached?.def === node.def) return cached.decision;
  const version = node.def.versions[assignment.version] as PlannedNode['def']['versions'][number];
  const decision = Object.freeze({ node: node.def.id, version: version.name, sha256: version.sha256, policy: policy.toString(), variant: assignment.variant, scope: assignment.scope });
  decisions.set(assignment, { def: node.def, decision });
  return decision;
}

/** `promise`, or a rejection with `timeout()` once `ms` have passed; the timer never outlives it. */
function withTimeout<T>(promise: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeout()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * The error a node reports. A failure that came from another node (an upstream node, or the branch
 * a switch picked) becomes UPSTREAM_FAILED naming the node that really failed and why (its error is
 * the cause): an answer may show only the outputs downstream of it.
 */
function nodeError(node: string, version: string | undefined, error: unknown): TesseraError {
  if (error instanceof TesseraError && (error.code === ErrorCode.NodeFailed || error.code === ErrorCode.UpstreamFailed || error.code === ErrorCode.NodeTimeout)) {
    if (error.details.node !== node) {
      const root = error.code === ErrorCode.UpstreamFailed ? (error.cause as TesseraError) : error;
      const failedNode = root.details.node as string;
      // The root's message starts with its node ("Node "a" (version v1) failed: ...").
      const why = `${root.message.charAt(0).toLowerCase()}${root.message.slice(1)}`;
      return new TesseraError(ErrorCode.UpstreamFailed, `Node "${node}" did not run: ${why}`, { node, failedNode }, { cause: root });
    }
    return error;
  }
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new TesseraError(ErrorCode.NodeFailed, `Node "${node}"${version ? ` (version ${version})` : ''} failed: ${message}`, { node, version }, { cause: error });
}
