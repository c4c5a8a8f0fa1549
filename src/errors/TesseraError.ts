import { GraphQLError } from 'graphql';
import { formatProblem, type PipelineProblem } from './problems.js';

/**
 * Stable error codes. Clients branch on these (`extensions.code` in GraphQL), so a code never
 * changes meaning once published.
 */
export const ErrorCode = {
  /** A pipeline file failed validation; carries every problem. */
  PipelineInvalid: 'PIPELINE_INVALID',
  /** A node raised an error while computing this request. */
  NodeFailed: 'NODE_FAILED',
  /** A node did not run because a node it reads from failed. */
  UpstreamFailed: 'UPSTREAM_FAILED',
  /** A node did not answer within its timeout. */
  NodeTimeout: 'NODE_TIMEOUT',
  /** A request argument broke a declared rule (range, enum, required field). */
  BadUserInput: 'BAD_USER_INPUT',
  /** A mutation or subscription needs the admin token. */
  Unauthenticated: 'UNAUTHENTICATED',
  /** The named thing (pipeline, node, version, request) does not exist. */
  NotFound: 'NOT_FOUND',
  /** The request is valid but the current state does not allow it (e.g. resuming a running rollout). */
  FailedPrecondition: 'FAILED_PRECONDITION',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The one error class Tessera throws on purpose. Its message is safe to show to clients; anything
 * else that escapes is a bug and is masked by the server.
 */
export class TesseraError extends Error {
  override readonly name = 'TesseraError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Readonly<Record<string, unknown>> = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** The GraphQL form: message, `extensions.code` and the details; the cause stays server-side. */
  toGraphQLError(): GraphQLError {
    return new GraphQLError(this.message, { extensions: { code: this.code, ...this.details } });
  }
}

/** Thrown by the asserting loaders (`assertPipelines`): every problem, formatted one per line. */
export class PipelineValidationError extends TesseraError {
  readonly problems: readonly PipelineProblem[];

  constructor(problems: readonly PipelineProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(ErrorCode.PipelineInvalid, `Pipeline files have ${count}:\n${problems.map(formatProblem).join('\n')}`, {});
    this.problems = problems;
  }
}

/** For states the types say cannot happen (graphql-js `invariant`). */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant violation: ${message}`);
}

/** Exhaustiveness check for `switch` on a discriminant. */
export function unreachable(value: never): never {
  throw new Error(`Invariant violation: unexpected ${JSON.stringify(value)}`);
}
