import { on } from 'node:events';
import type { Context } from '@opentelemetry/api';
import type {
  GraphQLList,
  GraphQLNonNull} from 'graphql';
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLError,
  GraphQLFloat,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLObjectType,
  GraphQLString,
  type GraphQLFieldConfigMap,
} from 'graphql';
import { list, nonNull } from './wrappers.js';
import { ErrorCode, TesseraError } from '../errors/index.js';
import { rethrow } from './fieldErrors.js';
import type { Engine } from '../execution/engine.js';
import type { OutcomeReport, RolloutCommand, RolloutView } from '../routing/rollouts/index.js';
import type { RolloutEvent } from '../state/index.js';


/** What resolvers know of the caller. */
/** What the server puts in every GraphQL request's context. */
export interface RequestContext {
  /** Whether the request carried the admin token. */
  readonly admin?: boolean;
  /** Why admin operations are refused when they are (no token configured, or a wrong one). */
  readonly adminRefusal?: string;
  /** Aborted when the server shuts down: subscriptions then complete, so that open streams end. */
  readonly shutdown?: AbortSignal;
  /** The OpenTelemetry context of the request's span: pipeline runs nest under it. */
  readonly traceContext?: Context;
}

/** Refuses a mutation or subscription without the admin token; nothing changes. */
function requireAdmin(context: RequestContext): void {
  if (!context.admin) {
    throw new GraphQLError(context.adminRefusal ?? 'This operation needs the admin token (Authorization: Bearer <token>).', {
      extensions: { code: ErrorCode.Unauthenticated },
    });
  }
}

const RolloutStatusType = new GraphQLEnumType({
  name: 'RolloutStatus',
  values: { RUNNING: { value: 'running' }, PAUSED: { value: 'paused' }, PROMOTED: { value: 'promoted' }, ROLLED_BACK: { value: 'rolled_back' } },
});

const GateStatusType = new GraphQLEnumType({
  name: 'GateStatus',
  values: { PASSED: { value: 'passed' }, FAILED: { value: 'failed' }, WAITING: { value: 'waiting' } },
});

const VersionShareType = new GraphQLObjectType({
  name: 'VersionShare',
  fields: { version: { type: nonNull(GraphQLString) }, share: { type: nonNull(GraphQLFloat), description: 'Share of traffic, 0 to 1.' } },
});

const GateValueType = new GraphQLObjectType({
  name: 'GateValue',
  description: 'One check of a canary with its numbers.',
  fields: {
    gate: { type: nonNull(GraphQLString), description: 'errorRate, outcome, latency, psi, ks, or step (waiting for samples).' },
    status: { type: nonNull(GateStatusType) },
    value: { type: GraphQLFloat },
    threshold: { type: GraphQLFloat },
    detail: { type: nonNull(GraphQLString) },
  },
});

const IntervalType = new GraphQLObjectType({
  name: 'Interval',
  description: 'A 95% confidence interval.',
  fields: { estimate: { type: GraphQLFloat }, lower: { type: nonNull(GraphQLFloat) }, upper: { type: nonNull(GraphQLFloat) } },
});

const ArmReadoutType = new GraphQLObjectType({
  name: 'ArmReadout',
  fields: {
    version: { type: nonNull(GraphQLString) },
    control: { type: nonNull(GraphQLBoolean) },
    share: { type: nonNull(GraphQLFloat), description: 'Configured share of units.' },
    assignments: { type: nonNull(GraphQLInt), description: 'Requests assigned in this experiment.' },
    outcomes: { type: nonNull(GraphQLInt), description: 'Outcomes counted.' },
    mean: { type: GraphQLFloat, description: 'Mean outcome.' },
    interval: { type: IntervalType, description: 'Of the mean (Wilson for binary outcomes, t otherwise).' },
    lift: { type: IntervalType, description: 'Relative lift over control (delta method).' },
    pValue: { type: GraphQLFloat, description: 'Always-valid p-value against control (mSPRT): safe to read at any time.' },
  },
});

const SrmCheckType = new GraphQLObjectType({
  name: 'SrmCheck',
  description: 'Sample-ratio-mismatch check: chi-square of assignments against the configured shares; flagged below p = 0.001.',
  fields: { pValue: { type: nonNull(GraphQLFloat) }, statistic: { type: nonNull(GraphQLFloat) }, mismatch: { type: nonNull(GraphQLBoolean) } },
});

const ExperimentReadoutType = new GraphQLObjectType({
  name: 'ExperimentReadout',
  fields: {
    scope: { type: nonNull(GraphQLString) },
    outcome: { type: nonNull(GraphQLString) },
    arms: { type: list(ArmReadoutType) },
    srm: { type: nonNull(SrmCheckType) },
    recommendation: { type: nonNull(GraphQLString) },
  },
});

const ShadowReportType = new GraphQLObjectType({
  name: 'ShadowReport',
  fields: {
    mirrored: { type: nonNull(GraphQLInt) },
    compared: { type: nonNull(GraphQLInt) },
    agreement: { type: GraphQLFloat, description: 'Share of compared requests whose outputs agree within the tolerance.' },
    errors: { type: nonNull(GraphQLInt) },
    timeouts: { type: nonNull(GraphQLInt) },
    skipped: { type: nonNull(GraphQLInt), description: 'Not mirrored because too many shadow runs were in flight.' },
    primaryP99Ms: { type: GraphQLFloat },
    shadowP99Ms: { type: GraphQLFloat },
    psi: { type: GraphQLFloat },
    psiCritical: { type: GraphQLFloat },
    ksPValue: { type: GraphQLFloat },
  },
});

const RolloutEventType = new GraphQLObjectType<RolloutEvent>({
  name: 'RolloutEvent',
  description: 'One entry of a rollout history: what happened, why, with the numbers.',
  fields: {
    seq: { type: nonNull(GraphQLInt) },
    pipeline: { type: nonNull(GraphQLString) },
    node: { type: nonNull(GraphQLString) },
    at: { type: nonNull(GraphQLString), description: 'ISO 8601 time.', resolve: (e) => new Date(e.at).toISOString() },
    kind: { type: nonNull(GraphQLString), description: 'started, advanced, promoted, rolled_back, paused, resumed, split_set, reset.' },
    actor: { type: nonNull(GraphQLString), description: 'auto (the analysis), admin, or file (a pipeline-file change).' },
    reason: { type: nonNull(GraphQLString) },
    data: { type: nonNull(GraphQLString), description: 'The numbers behind the decision, as JSON.', resolve: (e) => JSON.stringify(e.data) },
    revision: { type: nonNull(GraphQLInt) },
  },
});

function createRolloutType(engine: Engine): GraphQLObjectType<RolloutView> {
  return new GraphQLObjectType<RolloutView>({
    name: 'Rollout',
    description: 'The rollout of one node: its policy, where it stands, and the numbers behind it.',
    fields: {
      pipeline: { type: nonNull(GraphQLString) },
      node: { type: nonNull(GraphQLString) },
      policy: { type: nonNull(GraphQLString), description: 'fixed, split, canary, shadow or bandit.' },
      description: { type: nonNull(GraphQLString), description: 'The routing in force, e.g. canary(v1=95%,v2=5%).' },
      status: { type: nonNull(RolloutStatusType) },
      revision: { type: nonNull(GraphQLInt) },
      scope: { type: nonNull(GraphQLString), description: 'The experiment, canary or bandit run that outcomes are counted in.' },
      override: { type: GraphQLString, description: 'The version everyone gets after a promotion or rollback.' },
      traffic: { type: list(VersionShareType) },
      stable: { type: GraphQLString },
      candidate: { type: GraphQLString },
      step: { type: GraphQLInt, description: 'Canary step index (0-based).' },
      stepShare: { type: GraphQLFloat, description: 'Canary share of the current step.' },
      gates: { type: list(GateValueType) },
      experiment: { type: ExperimentReadoutType },
      shadow: { type: ShadowReportType },
      history: {
        type: list(RolloutEventType),
        args: { limit: { type: GraphQLInt, defaultValue: 20, description: 'The most recent events to return, 1 to 1000.' } },
        resolve: (view, args: { limit: number }) => {
          if (args.limit < 1 || args.limit > 1000) {
            throw new TesseraError(ErrorCode.BadUserInput, `history takes a limit from 1 to 1000; got ${args.limit}.`, { field: 'limit', rule: args.limit < 1 ? 'min' : 'max' }).toGraphQLError();
          }
          return engine.rollouts.history(view.pipeline, view.node, args.limit);
        },
      },
    },
  });
}

const OutcomeInputType = new GraphQLInputObjectType({
  name: 'OutcomeInput',
  fields: {
    requestId: { type: nonNull(GraphQLID), description: 'The requestId of the answer the outcome belongs to.' },
    value: { type: nonNull(GraphQLFloat), description: '0 or 1 for binary outcomes; any number for continuous ones.' },
    node: { type: GraphQLString, description: 'Only this node; default every node of the request that learns from outcomes.' },
  },
});

const OutcomeStatusType = new GraphQLEnumType({
  name: 'OutcomeStatus',
  values: {
    ACCEPTED: { value: 'accepted' },
    DUPLICATE: { value: 'duplicate', description: 'Already counted; nothing changed.' },
    CONFLICT: { value: 'conflict', description: 'A different value was counted for this request (and node) before; nothing changed. The message names it.' },
    UNKNOWN_REQUEST: { value: 'unknown_request' },
    UNKNOWN_NODE: { value: 'unknown_node' },
    INVALID: { value: 'invalid' },
  },
});

const AttributionType = new GraphQLObjectType({
  name: 'Attribution',
  fields: { node: { type: nonNull(GraphQLString) }, version: { type: nonNull(GraphQLString) }, scope: { type: nonNull(GraphQLString) } },
});

const OutcomeResultType = new GraphQLObjectType<OutcomeReport>({
  name: 'OutcomeResult',
  fields: {
    requestId: { type: nonNull(GraphQLID) },
    status: { type: nonNull(OutcomeStatusType) },
    attributedTo: { type: list(AttributionType), description: 'The node versions it was counted for.' },
    message: { type: GraphQLString },
  },
});

const VersionWeightInputType = new GraphQLInputObjectType({
  name: 'VersionWeightInput',
  fields: { version: { type: nonNull(GraphQLString) }, weight: { type: nonNull(GraphQLFloat) } },
});

const target = { pipeline: { type: nonNull(GraphQLString) }, node: { type: nonNull(GraphQLString) } };

/** `rollouts` and `rollout`: where every rollout stands. */
export function createRolloutQueryFields(engine: Engine): GraphQLFieldConfigMap<unknown, RequestContext> {
  const RolloutType = createRolloutType(engine);
  return {
    rollouts: {
      type: list(RolloutType),
      args: { pipeline: { type: GraphQLString } },
      resolve: (_s, args: { pipeline?: string | null }) => engine.rollouts.list(args.pipeline ?? undefined),
    },
    rollout: {
      type: RolloutType,
      args: target,
      resolve: (_s, args: { pipeline: string; node: string }) => engine.rollouts.view(args.pipeline, args.node).catch(rethrow),
    },
  };
}

/** Rollout control and outcome reporting; every one needs the admin token. */
export function createMutationFields(engine: Engine, rolloutType: GraphQLObjectType): GraphQLFieldConfigMap<unknown, RequestContext> {
  const control = (description: string, command: (args: Record<string, unknown>) => RolloutCommand, extra: Record<string, { type: GraphQLNonNull<GraphQLList<GraphQLNonNull<GraphQLInputObjectType>>> | typeof GraphQLString }> = {}) => ({
    type: nonNull(rolloutType),
    description,
    args: { ...target, ...extra, reason: { type: GraphQLString, description: 'Recorded in the history.' } },
    resolve: async (_s: unknown, args: Record<string, unknown>, context: RequestContext) => {
      requireAdmin(context);
      const reason = typeof args.reason === 'string' ? args.reason : undefined;
      try {
        // Inside the try: building the command checks arguments too (see `weightsByVersion`).
        return await engine.rollouts.command(args.pipeline as string, args.node as string, command(args), reason ? { reason } : {});
      } catch (error) {
        return rethrow(error);
      }
    },
  });
  return {
    promote: control('Ends the rollout on a version: the candidate, the shadow, the best arm, or the one given.', (a) => ({ kind: 'promote', ...(typeof a.version === 'string' ? { version: a.version } : {}) }), {
      version: { type: GraphQLString },
    }),
    rollback: control('Ends the rollout on the stable (control, primary) version.', () => ({ kind: 'rollback' })),
    pause: control('Freezes a rollout: a canary holds its step, a split and a bandit send everyone to control / the best arm, a shadow stops mirroring.', () => ({ kind: 'pause' })),
    resume: control('Resumes a paused rollout.', () => ({ kind: 'resume' })),
    setSplit: control(
      'Sets the weights of a split; a new experiment scope begins.',
      (a) => ({ kind: 'setSplit', weights: weightsByVersion(a.weights as { version: string; weight: number }[]) }),
      { weights: { type: list(VersionWeightInputType) } },
    ),
    reportOutcome: {
      type: nonNull(OutcomeResultType),
      description: 'Reports the outcome of an earlier request. Idempotent per request id and node. An unknown or expired request id, or a value the node cannot use, is an error.',
      args: { requestId: { type: nonNull(GraphQLID) }, value: { type: nonNull(GraphQLFloat) }, node: { type: GraphQLString } },
      resolve: async (_s, args: { requestId: string; value: number; node?: string | null }, context) => {
        requireAdmin(context);
        // An empty node name is a node name (that no request has), not "every node that learns".
        const [report] = await engine.reportOutcomes([{ requestId: args.requestId, value: args.value, ...(args.node !== undefined && args.node !== null ? { node: args.node } : {}) }]);
        const result = report as OutcomeReport;
        if (result.status === 'unknown_request' || result.status === 'unknown_node') {
          throw new GraphQLError(result.message as string, { extensions: { code: ErrorCode.NotFound, status: result.status.toUpperCase() } });
        }
        if (result.status === 'invalid') throw new GraphQLError(result.message, { extensions: { code: ErrorCode.BadUserInput, field: 'value', rule: 'outcome' } });
        return result;
      },
    },
    reportOutcomes: {
      type: list(OutcomeResultType),
      description: 'Reports many outcomes at once; each gets its own status and message, in order.',
      args: { outcomes: { type: list(OutcomeInputType) } },
      resolve: async (_s, args: { outcomes: { requestId: string; value: number; node?: string | null }[] }, context) => {
        requireAdmin(context);
        if (args.outcomes.length > 10_000) {
          throw new TesseraError(ErrorCode.BadUserInput, `At most 10000 outcomes per call; got ${args.outcomes.length}.`, { field: 'outcomes', rule: 'maxBatchSize', limit: 10_000 }).toGraphQLError();
        }
        return engine.reportOutcomes(args.outcomes.map((o) => ({ requestId: o.requestId, value: o.value, ...(o.node !== undefined && o.node !== null ? { node: o.node } : {}) })));
      },
    },
  };
}

/** `rolloutEvents`: every rollout change as it happens (over SSE); needs the admin token. */
export function createSubscriptionFields(engine: Engine): GraphQLFieldConfigMap<unknown, RequestContext> {
  return {
    rolloutEvents: {
      type: nonNull(RolloutEventType),
      args: { pipeline: { type: GraphQLString }, node: { type: GraphQLString } },
      // Checked before the stream exists (not inside a generator, which runs only when first read):
      // the refusal is then a located error of this field, and no listener is ever attached.
      subscribe: (_s: unknown, args: { pipeline?: string | null; node?: string | null }, context: RequestContext) => {
        requireAdmin(context);
        return rolloutEvents(engine, args, context.shutdown);
      },
    },
  };
}

/** Every rollout change from now on, of one pipeline or node if given, until `shutdown`. */
async function* rolloutEvents(
  engine: Engine,
  args: { pipeline?: string | null; node?: string | null },
  shutdown: AbortSignal | undefined,
): AsyncGenerator<{ rolloutEvents: RolloutEvent }> {
  try {
    for await (const [event] of on(engine.rollouts.events, 'event', shutdown ? { signal: shutdown } : {}) as AsyncIterable<[RolloutEvent]>) {
      if ((args.pipeline && event.pipeline !== args.pipeline) || (args.node && event.node !== args.node)) continue;
      yield { rolloutEvents: event };
    }
  } catch (error) {
    // A shutdown completes the stream; anything else is an error of the stream.
    if (!shutdown?.aborted) throw error;
  }
}

/** The weights of `setSplit` by version. A version given twice is refused rather than settled by order. */
function weightsByVersion(weights: readonly { version: string; weight: number }[]): Record<string, number> {
  const byVersion = new Map<string, number>();
  for (const { version, weight } of weights) {
    if (byVersion.has(version)) {
      throw new TesseraError(ErrorCode.BadUserInput, `The weights name version "${version}" more than once; give each version one weight.`, { field: 'weights', rule: 'duplicate' });
    }
    byVersion.set(version, weight);
  }
  return Object.fromEntries(byVersion);
}

/** The Rollout type, shared by queries and mutations. */
export function rolloutType(fields: GraphQLFieldConfigMap<unknown, RequestContext>): GraphQLObjectType {
  const type = (fields.rollout?.type ?? null) as GraphQLObjectType | null;
  if (!type) throw new Error('Invariant violation: rollout query field missing');
  return type;
}
