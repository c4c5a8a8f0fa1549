export type {
  ArmRecord,
  DecisionRecord,
  NodeDecision,
  NodeKey,
  OutcomeInput,
  OutcomeResult,
  OutcomeStatus,
  RolloutEvent,
  RolloutEventInput,
  RolloutRecord,
  StateStore,
} from './types.js';
export { createMemoryStore, MEMORY_STORE_MAX_DECISIONS } from './memory.js';
export type { MemoryStoreOptions } from './memory.js';
export { openSqliteStore } from './sqlite.js';
export type { SqliteStoreOptions } from './sqlite.js';
