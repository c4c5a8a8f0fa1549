import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { attribute } from './attribution.js';
import { BackgroundCheckpointer } from './checkpointer.js';
import type {
  ArmRecord,
  DecisionRecord,
  NodeDecision,
  NodeKey,
  OutcomeInput,
  OutcomeResult,
  RolloutEvent,
  RolloutEventInput,
  RolloutRecord,
  StateStore,
} from './types.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rollouts (
  pipeline TEXT NOT NULL, node TEXT NOT NULL, declaration TEXT NOT NULL, state TEXT NOT NULL,
  revision INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (pipeline, node)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollout_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, pipeline TEXT NOT NULL, node TEXT NOT NULL, at INTEGER NOT NULL,
  kind TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL, data TEXT NOT NULL, revision INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rollout_events_node ON rollout_events (pipeline, node, seq);
CREATE TABLE IF NOT EXISTS decisions (
  request_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, at INTEGER NOT NULL, nodes TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS decisions_at ON decisions (at);
CREATE TABLE IF NOT EXISTS outcomes (
  request_id TEXT NOT NULL, node TEXT NOT NULL, value REAL NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (request_id, node)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS arms (
  pipeline TEXT NOT NULL, node TEXT NOT NULL, scope TEXT NOT NULL, version TEXT NOT NULL,
  assignments INTEGER NOT NULL DEFAULT 0, outcome_count INTEGER NOT NULL DEFAULT 0,
  outcome_sum REAL NOT NULL DEFAULT 0, outcome_sum_squares REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (pipeline, node, scope, version)
) WITHOUT ROWID;
`;

export interface SqliteStoreOptions {
  /**
   * `NORMAL` (default) survives a crash of the process, which is what WAL mode needs for
   * durability of committed transactions against SIGKILL; `FULL` also survives a power loss.
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /**
   * Where the log is checkpointed into the database file. `background` (the default for a file): in
   * a worker thread with a connection of its own, every 100 ms, so that the thread writing the
   * decision log does not hold its requests for a checkpoint's copy and sync (about 20 ms every few
   * thousand requests). The writer's automatic checkpoint stays on as a safety net, and under
   * sustained heavy writing it still runs: the log starts over only when a transaction begins with
   * the whole log checkpointed, which a writer that commits during every checkpoint never sees; it
   * then has less to copy. `inline`: SQLite's automatic checkpoints only, on the writing
   * connection, every ~40 MB of log.
   */
  readonly checkpoints?: 'background' | 'inline';
}

/** How often the background worker checkpoints. */
const CHECKPOINT_INTERVAL_MS = 100;

/**
 * The embedded default: one SQLite file in WAL mode. Safe for several processes on one machine
 * (readers never block the writer; writers wait up to 5 s for each other).
 */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): StateStore {
  const synchronous = options.synchronous ?? 'NORMAL';
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') throw new Error(`synchronous must be "NORMAL" or "FULL"; got ${JSON.stringify(synchronous)}.`);
  const checkpoints = options.checkpoints ?? 'background';
  if (checkpoints !== 'background' && checkpoints !== 'inline') throw new Error(`checkpoints must be "background" or "inline"; got ${JSON.stringify(checkpoints)}.`);
  // ':memory:' and '' are databases of this connection alone, with no file to checkpoint.
  const onDisk = file !== ':memory:' && file !== '';
  if (onDisk) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  // The writer checkpoints (and syncs the main file) every ~40 MB of log rather than every 4 MB:
  // with background checkpoints (below), only when the log has not started over by then.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('foreign_keys = OFF');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new Error(`State file ${file} has schema version ${version}; this Tessera understands up to ${SCHEMA_VERSION}. Upgrade Tessera.`);
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  // Started once the file exists in WAL mode with its schema.
  const checkpointer = onDisk && checkpoints === 'background' ? new BackgroundCheckpointer(file, CHECKPOINT_INTERVAL_MS) : undefined;

  const statements = {
    rollouts: db.prepare('SELECT pipeline, node, declaration, state, revision, updated_at AS updatedAt FROM rollouts'),
    rollout: db.prepare('SELECT revision FROM rollouts WHERE pipeline = ? AND node = ?'),
    upsertRollout: db.prepare(
      `INSERT INTO rollouts (pipeline, node, declaration, state, revision, updated_at) VALUES (@pipeline, @node, @declaration, @state, @revision, @at)
       ON CONFLICT (pipeline, node) DO UPDATE SET declaration = @declaration, state = @state, revision = @revision, updated_at = @at`,
    ),
    insertEvent: db.prepare(
      'INSERT INTO rollout_events (pipeline, node, at, kind, actor, reason, data, revision) VALUES (@pipeline, @node, @at, @kind, @actor, @reason, @data, @revision)',
    ),
    history: db.prepare('SELECT * FROM rollout_events WHERE pipeline = ? AND node = ? ORDER BY seq DESC LIMIT ?'),
    since: db.prepare('SELECT * FROM rollout_events WHERE seq > ? ORDER BY seq'),
    latestSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM rollout_events'),
    insertDecision: db.prepare('INSERT OR IGNORE INTO decisions (request_id, pipeline, at, nodes) VALUES (?, ?, ?, ?)'),
    addAssignments: db.prepare(
      `INSERT INTO arms (pipeline, node, scope, version, assignments) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (pipeline, node, scope, version) DO UPDATE SET assignments = assignments + excluded.assignments`,
    ),
    decision: db.prepare('SELECT request_id AS requestId, pipeline, at, nodes FROM decisions WHERE request_id = ?'),
    insertOutcome: db.prepare('INSERT OR IGNORE INTO outcomes (request_id, node, value, at) VALUES (?, ?, ?, ?)'),
    outcomeValue: db.prepare('SELECT value FROM outcomes WHERE request_id = ? AND node = ?'),
    addOutcome: db.prepare(
      `INSERT INTO arms (pipeline, node, scope, version, outcome_count, outcome_sum, outcome_sum_squares) VALUES (?, ?, ?, ?, 1, ?, ?)
       ON CONFLICT (pipeline, node, scope, version) DO UPDATE SET outcome_count = outcome_count + 1,
         outcome_sum = outcome_sum + excluded.outcome_sum, outcome_sum_squares = outcome_sum_squares + excluded.outcome_sum_squares`,
    ),
    arms: db.prepare(
      `SELECT pipeline, node, scope, version, assignments, outcome_count, outcome_sum, outcome_sum_squares
       FROM arms WHERE pipeline = ? AND node = ? AND scope = ? ORDER BY version`,
    ),
    prune: db.prepare('DELETE FROM decisions WHERE at < ?'),
    pruneOutcomes: db.prepare('DELETE FROM outcomes WHERE request_id IN (SELECT request_id FROM decisions WHERE at < ?)'),
  };

  const toEvent = (row: Record<string, unknown>): RolloutEvent => ({
    seq: row.seq as number,
    pipeline: row.pipeline as string,
    node: row.node as string,
    at: row.at as number,
    kind: row.kind as string,
    actor: row.actor as string,
    reason: row.reason as string,
    data: JSON.parse(row.data as string) as Record<string, unknown>,
    revision: row.revision as number,
  });

  const saveRollout = db.transaction(
    (key: NodeKey, declaration: string, state: Readonly<Record<string, unknown>>, expected: number | undefined, event: RolloutEventInput) => {
      const current = statements.rollout.get(key.pipeline, key.node) as { revision: number } | undefined;
      if ((current?.revision ?? undefined) !== expected) return undefined;
      const revision = (current?.revision ?? 0) + 1;
      statements.upsertRollout.run({ ...key, declaration, state: JSON.stringify(state), revision, at: event.at });
      const info = statements.insertEvent.run({ ...key, ...event, data: JSON.stringify(event.data), revision });
      return { revision, seq: Number(info.lastInsertRowid) };
    },
  );

  // A group commit holds many requests routed alike: their assignments are added up per arm and
  // written once per arm, not once per request.
  const appendDecisions = db.transaction((records: readonly DecisionRecord[]) => {
    const assignments = new Map<string, { pipeline: string; node: string; scope: string; version: string; count: number }>();
    for (const record of records) {
      const inserted = statements.insertDecision.run(record.requestId, record.pipeline, record.at, decisionsJson(record.nodes)).changes > 0;
      if (!inserted) continue;
      for (const { node, scope, version } of record.nodes) {
        if (scope === undefined) continue;
        const key = `${record.pipeline}\u0000${node}\u0000${scope}\u0000${version}`;
        const arm = assignments.get(key);
        if (arm) arm.count++;
        else assignments.set(key, { pipeline: record.pipeline, node, scope, version, count: 1 });
      }
    }
    for (const arm of assignments.values()) statements.addAssignments.run(arm.pipeline, arm.node, arm.scope, arm.version, arm.count);
  });

  const readDecision = (requestId: string): DecisionRecord | undefined => {
    const row = statements.decision.get(requestId) as { requestId: string; pipeline: string; at: number; nodes: string } | undefined;
    return row && { ...row, nodes: JSON.parse(row.nodes) as NodeDecision[] };
  };

  // A pruned decision's outcomes go with it: an id used again is a new request, and the table would grow for ever.
  const prune = db.transaction((before: number) => {
    statements.pruneOutcomes.run(before);
    return statements.prune.run(before).changes;
  });

  const recordOutcomes = db.transaction((outcomes: readonly OutcomeInput[], at: number) =>
    outcomes.map((outcome) =>
      attribute(outcome, readDecision(outcome.requestId), (decision, node) => {
        if (statements.insertOutcome.run(outcome.requestId, node, outcome.value, at).changes === 0) return statements.outcomeValue.pluck().get(outcome.requestId, node) as number;
        if (decision) statements.addOutcome.run(decision.pipeline, decision.node, decision.scope, decision.version, outcome.value, outcome.value * outcome.value);
        return undefined;
      }),
    ),
  );

  return {
    kind: 'sqlite',
    async loadRollouts() {
      return (statements.rollouts.all() as Record<string, unknown>[]).map((row) => ({
        pipeline: row.pipeline as string,
        node: row.node as string,
        declaration: row.declaration as string,
        state: JSON.parse(row.state as string) as Record<string, unknown>,
        revision: row.revision as number,
        updatedAt: row.updatedAt as number,
      }));
    },
    async saveRollout(key, declaration, state, expectedRevision, event) {
      const saved = saveRollout.immediate(key, declaration, state, expectedRevision, event);
      if (!saved) return { ok: false, conflict: true };
      const record: RolloutRecord = { ...key, declaration, state, revision: saved.revision, updatedAt: event.at };
      return { ok: true, record, event: { ...key, ...event, seq: saved.seq, revision: saved.revision } };
    },
    async rolloutHistory(key, limit = 100) {
      return (statements.history.all(key.pipeline, key.node, limit) as Record<string, unknown>[]).map(toEvent);
    },
    async eventsSince(seq) {
      return (statements.since.all(seq) as Record<string, unknown>[]).map(toEvent);
    },
    async latestSeq() {
      return (statements.latestSeq.get() as { seq: number }).seq;
    },
    async appendDecisions(records) {
      if (records.length > 0) appendDecisions.immediate(records);
    },
    async decision(requestId) {
      return readDecision(requestId);
    },
    async recordOutcomes(outcomes, at) {
      return recordOutcomes.immediate(outcomes, at) as OutcomeResult[];
    },
    async armStats(key, scope) {
      return (statements.arms.all(key.pipeline, key.node, scope) as Record<string, unknown>[]).map(
        (row): ArmRecord => ({
          pipeline: row.pipeline as string,
          node: row.node as string,
          scope: row.scope as string,
          version: row.version as string,
          assignments: row.assignments as number,
          outcomes: { count: row.outcome_count as number, sum: row.outcome_sum as number, sumSquares: row.outcome_sum_squares as number },
        }),
      );
    },
    async pruneDecisions(before) {
      return prune.immediate(before) as number;
    },
    async close() {
      // The checkpointer's connection first: the writer's close then checkpoints what is left and removes the log.
      await checkpointer?.close();
      db.close();
    },
  };
}

const decisionJson = new WeakMap<NodeDecision, string>();

/**
 * A request's decisions as the JSON array the log stores; each decision's part is built once
 * (requests routed alike share their decision objects).
 */
function decisionsJson(decisions: readonly NodeDecision[]): string {
  let json = '[';
  for (let i = 0; i < decisions.length; i++) {
    const decision = decisions[i] as NodeDecision;
    let part = decisionJson.get(decision);
    if (part === undefined) decisionJson.set(decision, (part = JSON.stringify({ node: decision.node, version: decision.version, scope: decision.scope })));
    json += i === 0 ? part : `,${part}`;
  }
  return `${json}]`;
}
