export { RolloutManager, inMemoryRollouts, systemClock, DEFAULT_RETENTION_MS } from './manager.js';
export type { OutcomeReport, RolloutOptions } from './manager.js';
export type { Clock } from './runtime.js';
export { ROLLOUT_STATUSES } from './types.js';
export type {
  ArmReadout,
  ExperimentReadout,
  GateValue,
  NodeRouting,
  Observation,
  RolloutCommand,
  RolloutState,
  RolloutStatus,
  RolloutView,
  ShadowReport,
  ShadowRun,
} from './types.js';
