import { GraphQLFloat, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLString } from 'graphql';

/** A reason code: a component that pulled the combined result the wrong way. */
export const ReasonCodeType = new GraphQLObjectType({
  name: 'ReasonCode',
  description: 'A component that pulled the combined result the wrong way, most adverse first.',
  fields: {
    code: { type: new GraphQLNonNull(GraphQLString) },
    description: { type: GraphQLString },
    component: { type: new GraphQLNonNull(GraphQLString), description: 'The combiner component.' },
    contribution: { type: new GraphQLNonNull(GraphQLFloat), description: 'Its effect on the result (points for a scorecard).' },
  },
});

/** One component's share of a combined result. */
export const ContributionType = new GraphQLObjectType({
  name: 'Contribution',
  description: 'One component’s share of a combined result: weight × (transform(value) − transform(reference)).',
  fields: {
    component: { type: new GraphQLNonNull(GraphQLString) },
    value: { type: new GraphQLNonNull(GraphQLFloat), description: 'The upstream value.' },
    weight: { type: new GraphQLNonNull(GraphQLFloat) },
    contribution: { type: new GraphQLNonNull(GraphQLFloat) },
  },
});

/** Which version of a node answered, and the policy that chose it. */
export const RoutingDecisionType = new GraphQLObjectType({
  name: 'RoutingDecision',
  description: 'Which version of a node answered this request, and why.',
  fields: {
    node: { type: new GraphQLNonNull(GraphQLString) },
    version: { type: new GraphQLNonNull(GraphQLString) },
    sha256: { type: new GraphQLNonNull(GraphQLString), description: 'sha256 of the version’s model file or parameters.' },
    policy: { type: new GraphQLNonNull(GraphQLString), description: 'The rollout policy, e.g. split(v1=90%,v2=10%).' },
    variant: { type: new GraphQLNonNull(GraphQLString), description: 'The version’s role in the policy: stable, control, treatment, candidate, primary, arm; fallback when the node’s declared fallback answered.' },
  },
});

/** One node's timing in one request, for drawing a waterfall. */
export const NodeTimingType = new GraphQLObjectType({
  name: 'NodeTiming',
  description: 'When a node ran in this request: a waterfall without a trace viewer.',
  fields: {
    node: { type: new GraphQLNonNull(GraphQLString) },
    version: { type: new GraphQLNonNull(GraphQLString) },
    startMs: { type: new GraphQLNonNull(GraphQLFloat), description: 'Milliseconds from the start of the pipeline run.' },
    durationMs: { type: new GraphQLNonNull(GraphQLFloat), description: 'Including the wait for a batch.' },
    queueWaitMs: { type: GraphQLFloat, description: 'For batched model runs: the wait for the batch to start.' },
    batchSize: { type: GraphQLInt, description: 'For batched model runs: the rows in the run this request joined.' },
  },
});
