import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { didYouMean, ErrorCode, TesseraError, unreachable } from '../../errors/index.js';
import type { NodeDef, OutcomeSpecDef, PipelineDefinition } from '../../definition/types.js';
import { contentHash } from '../../definition/kinds/context.js';
import { createMemoryStore, type DecisionRecord, type OutcomeInput, type OutcomeResult, type RolloutEvent, type RolloutRecord, type StateStore } from '../../state/index.js';
import type { RoutingPolicy } from '../policy.js';
import { unitPosition } from '../hash.js';
import { createRandom } from '../statistics/index.js';
import { banditRuntime } from './bandit.js';
import { canaryRuntime } from './canary.js';
import { fixedRuntime } from './fixed.js';
import { overridePolicy, type Clock, type PolicyRuntime, type RuntimeContext } from './runtime.js';
import { shadowRuntime } from './shadow.js';
import { splitRuntime } from './split.js';
import type { NodeRouting, Observation, RolloutCommand, RolloutState, RolloutStatus, RolloutView, ShadowRun, Transition } from './types.js';

export interface RolloutOptions {
  /** Where rollout state, decisions and outcomes live. Default: in memory. */
  readonly store?: StateStore;
  readonly clock?: Clock;
  /** Seed of the randomness (bandit draws, reservoir samples). Default: random. */
  readonly seed?: number;
  /** How often canaries are analysed; 0 turns the timer off (call `analyze()`). Default 1000 ms. */
  readonly analysisIntervalMs?: number;
  /** How often changes by other processes sharing the store are picked up; 0 turns it off. Default 500 ms. */
  readonly refreshIntervalMs?: number;
  /** How long decisions are kept for outcomes to arrive. Default 30 days. */
  readonly retentionMs?: number;
  /** How often decisions past their retention are deleted; 0 turns it off. Default hourly. */
  readonly pruneIntervalMs?: number;
  /** Where failures of background writes are reported. Default: stderr. */
  readonly onError?: (error: unknown) => void;
  /** Keep each request's decisions for outcomes. Default true; off where nothing is kept anyway. */
  readonly logDecisions?: boolean;
}

/** What became of one reported outcome, with a message for anything but `accepted`. */
export type OutcomeReport =
  | (OutcomeResult & { readonly message: string | null })
  | { readonly requestId: string; readonly status: 'invalid'; readonly attributedTo: readonly []; readonly message: string };

const DAY = 86_400_000;
export const DEFAULT_RETENTION_MS = 30 * DAY;

/** The default clock: milliseconds since the epoch, with sub-millisecond precision. */
export const systemClock: Clock = { now: () => performance.timeOrigin + performance.now() };

/** The rollout of one node: its runtime, its durable record, and the policy built from them. */
class RolloutController implements NodeRouting {
  readonly pipeline: string;
  readonly def: NodeDef;
  readonly declaration: string;
  readonly runtime: PolicyRuntime;
  readonly versions: readonly string[];
  record: RolloutRecord;
  policy: RoutingPolicy;
  /** The newest revision whose event was emitted here (events of other processes are replayed once). */
  emittedRevision: number;

  constructor(pipeline: string, def: NodeDef, declaration: string, runtime: PolicyRuntime, record: RolloutRecord) {
    this.pipeline = pipeline;
    this.def = def;
    this.declaration = declaration;
    this.runtime = runtime;
    this.versions = def.versions.map((v) => v.name);
    this.record = record;
    this.policy = this.#build();
    this.emittedRevision = record.revision;
  }

  get state(): RolloutState {
    return this.record.state as unknown as RolloutState;
  }

  get observes(): boolean {
    return this.runtime.observes;
  }

  apply(record: RolloutRecord): void {
    this.record = record;
    this.policy = this.#build();
  }

  observe(observation: Observation): void {
    this.runtime.observe(observation, this.state);
  }

  shadow(run: ShadowRun, primary: Observation): void {
    this.runtime.shadow(run, primary, this.state);
  }

  /** The outcome kind this node learns from, if it does. */
  outcomeSpec(): OutcomeSpecDef | undefined {
    const routing = this.def.routing;
    switch (routing.policy) {
      case 'split':
        return routing.outcome;
      case 'canary':
        return routing.gates.outcome;
      case 'bandit':
        return routing.reward;
      case 'fixed':
      case 'shadow':
        return undefined;
      default:
        return unreachable(routing);
    }
  }

  #build(): RoutingPolicy {
    return overridePolicy(this.versions, this.state) ?? this.runtime.policy(this.state);
  }
}

/**
 * Runs the rollouts of every node: builds each node's routing policy from its declaration and its
 * durable state, saves every change with its reason (compare-and-set, so processes sharing a store
 * never overwrite each other), analyses canaries, follows changes made elsewhere, records the
 * decisions of each request and attributes outcomes to the versions that served.
 */
export class RolloutManager {
  readonly store: StateStore;
  readonly clock: Clock;
  /** `event` (RolloutEvent) for every change, made here or by another process. */
  readonly events = new EventEmitter();
  readonly #seed: number;
  readonly #onError: (error: unknown) => void;
  /** Whether decisions are recorded (see `RolloutOptions.logDecisions`). */
  readonly logsDecisions: boolean;
  readonly #retentionMs: number;
  readonly #controllers = new Map<string, RolloutController>();
  readonly #timers: NodeJS.Timeout[] = [];
  #seq = 0;
  #pending: DecisionRecord[] = [];
  #scheduled: Promise<void> | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(options: RolloutOptions = {}) {
    this.store = options.store ?? createMemoryStore();
    this.clock = options.clock ?? systemClock;
    this.#seed = options.seed ?? randomInt(2 ** 31);
    this.#retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.logsDecisions = options.logDecisions ?? true;
    this.#onError = options.onError ?? ((error) => process.stderr.write(`Tessera: writing decisions failed, will retry: ${(error as Error).message}\n`));
    this.events.setMaxListeners(0);
    const every = (ms: number | undefined, fallback: number, task: () => Promise<unknown>) => {
      const interval = ms ?? fallback;
      if (interval > 0) this.#timers.push(setInterval(() => void task().catch(() => {}), interval).unref());
    };
    every(options.analysisIntervalMs, 1000, () => this.analyze());
    every(options.refreshIntervalMs, 500, () => this.refresh());
    every(options.pruneIntervalMs, 3_600_000, () => this.store.pruneDecisions(this.clock.now() - this.#retentionMs));
  }

  /**
   * Loads the durable state of every node of `pipelines` and starts the rollouts that have none
   * (or whose declaration in the pipeline file changed). Call before creating an engine on them.
   */
  async prepare(pipelines: readonly PipelineDefinition[]): Promise<void> {
    const records = new Map((await this.store.loadRollouts()).map((r) => [`${r.pipeline}\u0000${r.node}`, r]));
    this.#seq = Math.max(this.#seq, await this.store.latestSeq());
    for (const pipeline of pipelines) {
      for (const def of pipeline.nodes) {
        const key = `${pipeline.name}\u0000${def.id}`;
        const declaration = declarationOf(def);
        if (this.#controllers.get(key)?.declaration === declaration) continue;
        const stored = records.get(key);
        const runtime = this.#runtime(pipeline.name, def);
        if (stored?.declaration === declaration) {
          const restored = new RolloutController(pipeline.name, def, declaration, runtime, stored);
          this.#controllers.set(key, restored);
          // What the rollout learned (a bandit's arms) is in the store: read it before serving.
          await runtime.refresh(restored.state);
          continue;
        }
        const revision = (stored?.revision ?? 0) + 1;
        const now = this.clock.now();
        const state = runtime.initial(`${def.routing.policy}-${revision}`, now);
        const saved = await this.store.saveRollout({ pipeline: pipeline.name, node: def.id }, declaration, state as unknown as Record<string, unknown>, stored?.revision, {
          at: now,
          kind: stored ? 'reset' : 'started',
          actor: 'file',
          reason: stored ? 'The pipeline file declares a different policy or versions; the rollout starts over.' : `Started ${def.routing.policy} from the pipeline file.`,
          data: { policy: def.routing.policy },
        });
        const record = saved.ok ? saved.record : (await this.store.loadRollouts()).find((r) => r.pipeline === pipeline.name && r.node === def.id);
        if (!record) throw new Error(`Invariant violation: rollout of ${pipeline.name}.${def.id} vanished`);
        const controller = new RolloutController(pipeline.name, def, declaration, runtime, record);
        this.#controllers.set(key, controller);
        if (saved.ok) this.#emit(saved.event);
        await runtime.refresh(controller.state);
      }
    }
  }

  /**
   * Like `prepare`, synchronously and without reading or writing the store: every rollout starts
   * from its declaration (revision 0, saved at its first change). For engines given no store.
   */
  prepareFresh(pipelines: readonly PipelineDefinition[]): void {
    for (const pipeline of pipelines) {
      for (const def of pipeline.nodes) {
        const key = `${pipeline.name}\u0000${def.id}`;
        const declaration = declarationOf(def);
        if (this.#controllers.get(key)?.declaration === declaration) continue;
        const runtime = this.#runtime(pipeline.name, def);
        const now = this.clock.now();
        const state = runtime.initial(`${def.routing.policy}-0`, now) as unknown as Record<string, unknown>;
        this.#controllers.set(key, new RolloutController(pipeline.name, def, declaration, runtime, { pipeline: pipeline.name, node: def.id, declaration, state, revision: 0, updatedAt: now }));
      }
    }
  }

  /** Whether `prepare` (or `prepareFresh`) has seen this node with this declaration. */
  has(pipeline: string, def: NodeDef): boolean {
    return this.#controllers.get(`${pipeline}\u0000${def.id}`)?.declaration === declarationOf(def);
  }

  /** The routing of one node (after `prepare`). */
  routing(pipeline: string, node: string): NodeRouting {
    return this.#controller(pipeline, node);
  }

  /** Where every rollout stands, synchronously (for metrics gauges): policy, status, traffic. */
  snapshot(): { pipeline: string; node: string; policy: string; status: RolloutStatus; step: number | null; traffic: { version: string; share: number }[] }[] {
    return [...this.#controllers.values()].map((c) => {
      const shares = c.policy.traffic();
      return {
        pipeline: c.pipeline,
        node: c.def.id,
        policy: c.def.routing.policy,
        status: c.state.status,
        // A canary's step (0-based); other policies have none.
        step: c.state.step ?? null,
        traffic: c.versions.map((version, i) => ({ version, share: shares[i] ?? 0 })),
      };
    });
  }

  /** Every rollout, or those of one pipeline. */
  async list(pipeline?: string): Promise<RolloutView[]> {
    const chosen = [...this.#controllers.values()].filter((c) => pipeline === undefined || c.pipeline === pipeline);
    return Promise.all(chosen.map((c) => this.#view(c)));
  }

  async view(pipeline: string, node: string): Promise<RolloutView> {
    return this.#view(this.#controller(pipeline, node));
  }

  history(pipeline: string, node: string, limit = 50): Promise<RolloutEvent[]> {
    this.#controller(pipeline, node);
    return this.store.rolloutHistory({ pipeline, node }, limit);
  }

  /** Carries out an operator's command; the change is durable before this resolves. */
  async command(pipeline: string, node: string, command: RolloutCommand, options: { actor?: string; reason?: string } = {}): Promise<RolloutView> {
    const controller = this.#controller(pipeline, node);
    for (let attempt = 0; attempt < 3; attempt++) {
      const transition = controller.runtime.command(controller.state, command, { scope: `${controller.def.routing.policy}-${controller.record.revision + 1}`, now: this.clock.now() });
      const reason = options.reason ? `${transition.reason} ${options.reason}` : transition.reason;
      if (await this.#save(controller, { ...transition, reason }, options.actor ?? 'admin')) return this.#view(controller);
      await this.#reload(controller);
    }
    throw new TesseraError(ErrorCode.FailedPrecondition, `The rollout of "${node}" kept changing under this command; try again.`);
  }

  /** One analysis tick: canaries advance, promote or roll back. */
  async analyze(): Promise<void> {
    for (const controller of this.#controllers.values()) {
      if (controller.state.status !== 'running') continue;
      const transition = await controller.runtime.analyze(controller.state, this.clock.now());
      if (transition && !(await this.#save(controller, transition, 'auto'))) await this.#reload(controller);
    }
  }

  /** Picks up changes that other processes saved, and re-reads learned statistics. */
  async refresh(): Promise<void> {
    const latest = await this.store.latestSeq();
    if (latest > this.#seq) {
      const events = await this.store.eventsSince(this.#seq);
      this.#seq = latest;
      const records = await this.store.loadRollouts();
      for (const event of events) {
        const controller = this.#controllers.get(`${event.pipeline}\u0000${event.node}`);
        const record = records.find((r) => r.pipeline === event.pipeline && r.node === event.node);
        if (!controller || !record || record.declaration !== controller.declaration) continue;
        // Every event another process saved is passed on, in order; the state jumps to the newest.
        if (event.revision > controller.emittedRevision) {
          controller.emittedRevision = event.revision;
          this.#emit(event);
        }
        if (record.revision > controller.record.revision) controller.apply(record);
      }
    }
    for (const controller of this.#controllers.values()) await controller.runtime.refresh(controller.state);
  }

  /** Queues the decisions of a finished request; written in the next flush. */
  logDecisions(record: DecisionRecord): void {
    this.#pending.push(record);
    void this.#schedule();
  }

  /**
   * Resolves once every decision queued so far is written. The server awaits it before each
   * answer; the requests answered in one turn of the event loop share one transaction (a group
   * commit), so durability costs one write per turn, not one per request.
   */
  async flush(): Promise<void> {
    if (this.#pending.length > 0) await this.#schedule();
    await this.#writing;
  }

  #schedule(): Promise<void> {
    this.#scheduled ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.#scheduled = undefined;
        resolve(this.#writePending());
      }),
    );
    return this.#scheduled;
  }

  #writePending(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#writing = this.#writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.store.appendDecisions(batch);
      } catch (error) {
        // Keep the batch for the next write (the store may be locked for a moment); say why.
        this.#pending = [...batch, ...this.#pending];
        this.#onError(error);
      }
    });
    return this.#writing;
  }

  /**
   * Records outcomes for requests and counts them for the versions that served, idempotently per
   * request id and node. A value that the learning nodes cannot use (not 0 or 1 for a binary
   * outcome, not a finite number) is refused and changes nothing.
   */
  async reportOutcomes(outcomes: readonly OutcomeInput[]): Promise<OutcomeReport[]> {
    await this.flush();
    const reports: (OutcomeReport | undefined)[] = [];
    const valid: { index: number; outcome: OutcomeInput }[] = [];
    for (const [index, outcome] of outcomes.entries()) {
      const problem = await this.#outcomeProblem(outcome);
      if (problem) reports[index] = { requestId: outcome.requestId, status: 'invalid', attributedTo: [], message: problem };
      else valid.push({ index, outcome });
    }
    const results = await this.store.recordOutcomes(valid.map((v) => v.outcome), this.clock.now());
    results.forEach((result, i) => {
      const { index, outcome } = valid[i] as { index: number; outcome: OutcomeInput };
      for (const target of result.attributedTo) {
        const controller = this.#controllers.get(`${target.pipeline}\u0000${target.node}`);
        // Outcomes of an earlier scope are counted there (in the store), not in what learns now.
        if (controller && controller.state.scope === target.scope) controller.runtime.outcome(target.version, outcome.value);
      }
      reports[index] = { ...result, message: outcomeMessage(result, outcome) };
    });
    return reports as OutcomeReport[];
  }

  /** Stops the timers and writes what is queued. */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    await this.flush();
  }

  async #outcomeProblem(outcome: OutcomeInput): Promise<string | undefined> {
    if (typeof outcome.value !== 'number' || !Number.isFinite(outcome.value)) return `The outcome of request "${outcome.requestId}" must be a finite number; got ${String(outcome.value)}.`;
    const decision = await this.store.decision(outcome.requestId);
    if (!decision) return undefined; // the store answers unknown_request
    for (const node of decision.nodes) {
      if (node.scope === undefined || (outcome.node !== undefined && outcome.node !== node.node)) continue;
      const spec = this.#controllers.get(`${decision.pipeline}\u0000${node.node}`)?.outcomeSpec();
      if (spec?.kind === 'binary' && outcome.value !== 0 && outcome.value !== 1) {
        return `Node "${node.node}" learns from binary outcomes: the value must be 0 or 1; got ${outcome.value}.`;
      }
    }
    return undefined;
  }

  async #save(controller: RolloutController, transition: Transition, actor: string): Promise<boolean> {
    const saved = await this.store.saveRollout(
      { pipeline: controller.pipeline, node: controller.def.id },
      controller.declaration,
      transition.state as unknown as Record<string, unknown>,
      // Revision 0 is a rollout that was never saved (`prepareFresh`).
      controller.record.revision === 0 ? undefined : controller.record.revision,
      { at: this.clock.now(), kind: transition.kind, actor, reason: transition.reason, data: transition.data },
    );
    if (!saved.ok) return false;
    controller.apply(saved.record);
    controller.emittedRevision = saved.record.revision;
    this.#seq = Math.max(this.#seq, saved.event.seq);
    this.#emit(saved.event);
    return true;
  }

  async #reload(controller: RolloutController): Promise<void> {
    const record = (await this.store.loadRollouts()).find((r) => r.pipeline === controller.pipeline && r.node === controller.def.id);
    if (record && record.declaration === controller.declaration) controller.apply(record);
  }

  #emit(event: RolloutEvent): void {
    this.events.emit('event', event);
  }

  #controller(pipeline: string, node: string): RolloutController {
    const found = this.#controllers.get(`${pipeline}\u0000${node}`);
    if (!found) {
      const known = [...this.#controllers.values()].filter((c) => c.pipeline === pipeline).map((c) => c.def.id);
      const pipelines = [...new Set([...this.#controllers.values()].map((c) => c.pipeline))];
      const message =
        known.length === 0
          ? `No pipeline "${pipeline}". Pipelines: ${pipelines.join(', ')}.${didYouMean(pipeline, pipelines)}`
          : `Pipeline "${pipeline}" has no node "${node}".${didYouMean(node, known)}`;
      throw new TesseraError(ErrorCode.NotFound, message, { pipeline, node });
    }
    return found;
  }

  #runtime(pipeline: string, def: NodeDef): PolicyRuntime {
    const context: RuntimeContext = {
      pipeline,
      def,
      versions: def.versions.map((v) => v.name),
      store: this.store,
      random: createRandom(Math.floor(unitPosition(String(this.#seed), `${pipeline}.${def.id}`) * 2 ** 31)),
      clock: this.clock,
    };
    switch (def.routing.policy) {
      case 'fixed':
        return fixedRuntime(context);
      case 'split':
        return splitRuntime(context);
      case 'canary':
        return canaryRuntime(context);
      case 'shadow':
        return shadowRuntime(context);
      case 'bandit':
        return banditRuntime(context);
      default:
        return unreachable(def.routing);
    }
  }

  async #view(controller: RolloutController): Promise<RolloutView> {
    const state = controller.state;
    const traffic = controller.policy.traffic();
    const specific = await controller.runtime.report(state);
    return {
      pipeline: controller.pipeline,
      node: controller.def.id,
      policy: controller.def.routing.policy,
      description: controller.policy.toString(),
      status: state.status,
      revision: controller.record.revision,
      scope: state.scope,
      override: state.override ?? null,
      traffic: controller.versions.map((version, i) => ({ version, share: traffic[i] ?? 0 })),
      stable: null,
      candidate: null,
      step: null,
      stepShare: null,
      gates: [],
      experiment: null,
      shadow: null,
      ...specific,
    };
  }
}

/** The identity of a node's declared rollout: policy, versions and their content hashes. */
function declarationOf(def: NodeDef): string {
  return contentHash({ routing: def.routing, versions: def.versions.map((v) => [v.name, v.sha256]) });
}

function outcomeMessage(result: OutcomeResult, outcome: OutcomeInput): string | null {
  const earlier = (result.conflicts ?? []).map((c) => `${c.value}${c.node === '' ? '' : ` for node "${c.node}"`}`).join(', ');
  switch (result.status) {
    case 'accepted':
      return earlier === '' ? null : `Counted for ${result.attributedTo.map((a) => `node "${a.node}"`).join(', ')}; not where a different outcome was counted before (${earlier}).`;
    case 'conflict':
      return `Request "${outcome.requestId}" already has a different outcome counted (${earlier}); ${outcome.value} was not counted in its place: an outcome counts once, the first time it is reported.`;
    case 'duplicate':
      return `An outcome for request "${outcome.requestId}"${outcome.node ? ` and node "${outcome.node}"` : ''} was already counted; this one changes nothing.`;
    case 'unknown_request':
      return `No request "${outcome.requestId}" is known: the id is wrong, or its decisions are past their retention.`;
    case 'unknown_node':
      return `Request "${outcome.requestId}" has no decision of node "${outcome.node}" that learns from outcomes.`;
  }
}

/** A manager over an in-memory store with no timers: what an engine gets when given none. */
export function inMemoryRollouts(): RolloutManager {
  return new RolloutManager({ analysisIntervalMs: 0, refreshIntervalMs: 0, pruneIntervalMs: 0 });
}
