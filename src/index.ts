/**
 * Tessera's public API. Everything the CLI does is a function here first, so the engine embeds in
 * another Node service: load and check pipelines, create an engine, serve it over GraphQL.
 */
export { loadPipelines, assertPipelines, releasePipelines } from './definition/load.js';
export type { LoadResult } from './definition/load.js';
export { pipelineJsonSchema } from './definition/format.js';
export type { PipelineFile } from './definition/format.js';
export type {
  PipelineDefinition,
  NodeDef,
  NodeKind,
  ValueType,
  Value,
  ReasonCode,
  Contribution,
  RoutingDef,
} from './definition/types.js';
export { createEngine } from './execution/engine.js';
export type { Engine, RunOptions, RunResult, StartOptions } from './execution/engine.js';
export type { RoutingDecision } from './execution/run.js';
export { coerceInput } from './execution/input.js';
export type { InputProblem, InputResult } from './execution/input.js';
export { buildSchema } from './graphql/schema.js';
export type { SchemaOptions } from './graphql/schema.js';
export { createServer } from './server/server.js';
export type { ServerOptions, TesseraServer } from './server/server.js';
export type { Logger } from './server/logger.js';
// The server's OpenTelemetry set-up is `tessera/telemetry` (registerTelemetry): it loads the SDK,
// which the engine alone does not need.
export type { RegisteredTelemetry, TelemetryOptions } from './server/telemetry.js';
export { Attr, Metric, SpanName } from './telemetry/attributes.js';
export { unitPosition } from './routing/hash.js';
export { ErrorCode, TesseraError, PipelineValidationError, formatProblem } from './errors/index.js';
export type { PipelineProblem, SourceLocation } from './errors/index.js';
