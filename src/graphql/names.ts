/**
 * Names of generated GraphQL fields and types, in one place: the SDL, the selection planner and
 * the docs all agree on them.
 */

/** `creditScore` → `CreditScore`: the prefix of a pipeline's GraphQL type names. */
export function typePrefix(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Query fields Tessera itself defines next to the pipelines' fields. */
export const FIXED_QUERY_FIELDS: readonly string[] = ['pipelines', 'pipeline', 'rollouts', 'rollout'];

/**
 * Types Tessera itself defines; generated names must avoid them. A test checks this list against
 * the schema, so it cannot fall behind.
 */
export const FIXED_TYPE_NAMES: readonly string[] = [
  'Query', 'Mutation', 'Subscription',
  'ReasonCode', 'Contribution', 'RoutingDecision', 'NodeTiming',
  'Pipeline', 'PipelineInputField', 'PipelineNode', 'PipelineNodeOutput', 'PipelineEdge', 'PipelineOutput',
  'NodeKind', 'EdgeKind', 'NodeVersion', 'NodeRouting',
  'Rollout', 'RolloutStatus', 'RolloutEvent', 'GateStatus', 'GateValue', 'VersionShare', 'Interval', 'ArmReadout', 'SrmCheck',
  'ExperimentReadout', 'ShadowReport', 'OutcomeInput', 'OutcomeStatus', 'OutcomeResult', 'Attribution', 'VersionWeightInput',
];

export const REQUEST_ID_FIELD = 'requestId';
export const NODES_FIELD = 'nodes';
export const ROUTING_FIELD = 'routing';
export const TRACE_ID_FIELD = 'traceId';
export const TIMINGS_FIELD = 'timings';

export const batchFieldName = (pipeline: string): string => `${pipeline}Batch`;
export const inputTypeName = (pipeline: string): string => `${typePrefix(pipeline)}Input`;
export const resultTypeName = (pipeline: string): string => `${typePrefix(pipeline)}Result`;
export const nodesTypeName = (pipeline: string): string => `${typePrefix(pipeline)}Nodes`;
export const nodeOutputsTypeName = (pipeline: string, node: string): string => `${typePrefix(pipeline)}${typePrefix(node)}Outputs`;
