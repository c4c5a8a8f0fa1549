/**
 * The state store: everything Tessera must not lose. Rollout state and its history, the decisions
 * each request was answered with (so that outcomes arriving later are attributed to the versions
 * that served), outcomes, and per-arm statistics of experiments, canaries and bandits.
 *
 * The interface is asynchronous so that a networked store (Redis) implements it as it is; the
 * embedded SQLite store answers synchronously inside the promises.
 */

/** A node of a pipeline. */
export interface NodeKey {
  readonly pipeline: string;
  readonly node: string;
}

/** The durable run-time state of one node's rollout; `state` is the policy's own JSON. */
export interface RolloutRecord extends NodeKey {
  /** Hash of the pipeline-file declaration this state belongs to; a changed declaration starts over. */
  readonly declaration: string;
  readonly state: Readonly<Record<string, unknown>>;
  /** Increments on every change; writers compare it to detect concurrent changes. */
  readonly revision: number;
  readonly updatedAt: number;
}

/** One entry of a rollout's history: what happened, why, with the numbers. */
export interface RolloutEvent extends NodeKey {
  /** Global, increasing: lets processes sharing a store notice changes. */
  readonly seq: number;
  readonly at: number;
  /** e.g. `started`, `advanced`, `promoted`, `rolled_back`, `paused`, `resumed`, `split_set`, `reset`. */
  readonly kind: string;
  /** `auto` for the analysis, `admin` for a person, `file` for a pipeline-file change. */
  readonly actor: string;
  readonly reason: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** The rollout revision this event produced. */
  readonly revision: number;
}

export type RolloutEventInput = Omit<RolloutEvent, 'seq' | 'revision' | keyof NodeKey>;

/** Which version served one node of one request, in which experiment scope. */
export interface NodeDecision {
  readonly node: string;
  readonly version: string;
  /**
   * The analysis scope (an experiment, canary or bandit run) that counts this request, or
   * undefined for nodes whose policy does not learn from outcomes.
   */
  readonly scope: string | undefined;
}

/** The decisions of one request. */
export interface DecisionRecord {
  readonly requestId: string;
  readonly pipeline: string;
  readonly at: number;
  readonly nodes: readonly NodeDecision[];
}

/** An outcome reported for a request, optionally for one node only. */
export interface OutcomeInput {
  readonly requestId: string;
  readonly value: number;
  /** Restricts the outcome to this node; default: every node of the request that learns from outcomes. */
  readonly node?: string;
}

/**
 * What became of one reported outcome. An outcome counts once per request and node, the first
 * time: `duplicate` when the same value was counted already, `conflict` when a different one was.
 */
export type OutcomeStatus = 'accepted' | 'duplicate' | 'conflict' | 'unknown_request' | 'unknown_node';

export interface OutcomeResult {
  readonly requestId: string;
  readonly status: OutcomeStatus;
  /** The node versions it was counted for (empty for duplicates and unknown ids). */
  readonly attributedTo: readonly { readonly pipeline: string; readonly node: string; readonly version: string; readonly scope: string }[];
  /** Nodes (`''`: the request as a whole) for which a different value was counted before, and that value; it was not counted for them. */
  readonly conflicts?: readonly { readonly node: string; readonly value: number }[];
}

/** Per-arm statistics of one analysis scope. */
export interface ArmRecord extends NodeKey {
  readonly scope: string;
  readonly version: string;
  /** Requests assigned to this version in the scope. */
  readonly assignments: number;
  /** Outcomes counted: n, Σx, Σx². */
  readonly outcomes: { readonly count: number; readonly sum: number; readonly sumSquares: number };
}

export interface StateStore {
  /** `sqlite` or `memory`, for messages. */
  readonly kind: string;
  loadRollouts(): Promise<RolloutRecord[]>;
  /**
   * Writes a rollout's state and appends its event atomically, if the stored revision still is
   * `expectedRevision` (undefined: no record yet). Returns the new record, or `conflict` when
   * another writer got there first.
   */
  saveRollout(
    key: NodeKey,
    declaration: string,
    state: Readonly<Record<string, unknown>>,
    expectedRevision: number | undefined,
    event: RolloutEventInput,
  ): Promise<{ readonly ok: true; readonly record: RolloutRecord; readonly event: RolloutEvent } | { readonly ok: false; readonly conflict: true }>;
  /** A rollout's history, newest first. */
  rolloutHistory(key: NodeKey, limit?: number): Promise<RolloutEvent[]>;
  /** Events after `seq`, oldest first (to follow changes made by other processes). */
  eventsSince(seq: number): Promise<RolloutEvent[]>;
  /** The newest event seq, 0 when there is none. */
  latestSeq(): Promise<number>;
  /** Records decisions and counts assignments of scoped nodes, in one transaction. */
  appendDecisions(records: readonly DecisionRecord[]): Promise<void>;
  decision(requestId: string): Promise<DecisionRecord | undefined>;
  /**
   * Records outcomes and adds them to the arm statistics of the versions that served, in one
   * transaction: idempotent per request id and node.
   */
  recordOutcomes(outcomes: readonly OutcomeInput[], at: number): Promise<OutcomeResult[]>;
  armStats(key: NodeKey, scope: string): Promise<ArmRecord[]>;
  /** Deletes decisions older than `before` (ms since epoch) and the outcomes recorded for them; returns how many decisions. */
  pruneDecisions(before: number): Promise<number>;
  close(): Promise<void>;
}
