import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLObjectType,
  GraphQLString,
  type GraphQLFieldConfigMap,
} from 'graphql';
import { list, nonNull } from './wrappers.js';
import { typeToString, type NodeDef } from '../definition/types.js';
import type { Engine } from '../execution/engine.js';
import type { PipelinePlan, PlannedNode } from '../plan/plan.js';
import { batchFieldName } from './names.js';


const NodeKindType = new GraphQLEnumType({
  name: 'NodeKind',
  values: { ONNX: { value: 'onnx' }, EXPRESSION: { value: 'expression' }, COMBINER: { value: 'combiner' }, SWITCH: { value: 'switch' } },
});

const EdgeKindType = new GraphQLEnumType({
  name: 'EdgeKind',
  description: 'DATA: the target reads the source. BRANCH: a switch may run the target.',
  values: { DATA: { value: 'data' }, BRANCH: { value: 'branch' } },
});

const NodeVersionType = new GraphQLObjectType<{ node: PlannedNode; index: number }>({
  name: 'NodeVersion',
  fields: {
    name: { type: nonNull(GraphQLString), resolve: ({ node, index }) => version(node.def, index).name },
    sha256: { type: nonNull(GraphQLString), resolve: ({ node, index }) => version(node.def, index).sha256 },
    description: { type: GraphQLString, resolve: ({ node, index }) => version(node.def, index).description },
    artifact: {
      type: GraphQLString,
      description: 'The model file, for ONNX versions.',
      resolve: ({ node, index }) => (node.def.kind === 'onnx' ? (node.def.versions[index]?.model.path ?? null) : null),
    },
    traffic: { type: nonNull(GraphQLFloat), description: 'Share of traffic (0 to 1) under the current policy.', resolve: ({ node, index }) => node.routing.policy.traffic()[index] ?? 0 },
  },
});

const NodeRoutingType = new GraphQLObjectType<PlannedNode>({
  name: 'NodeRouting',
  fields: {
    policy: { type: nonNull(GraphQLString), description: 'fixed, split, ...', resolve: (node) => node.routing.policy.name },
    description: { type: nonNull(GraphQLString), description: 'The policy with its parameters.', resolve: (node) => node.routing.policy.toString() },
  },
});

const NodeOutputType = new GraphQLObjectType<{ name: string; type: string; description: string | undefined }>({
  name: 'PipelineNodeOutput',
  fields: { name: { type: nonNull(GraphQLString) }, type: { type: nonNull(GraphQLString) }, description: { type: GraphQLString } },
});

const PipelineNodeType = new GraphQLObjectType<PlannedNode>({
  name: 'PipelineNode',
  fields: {
    id: { type: nonNull(GraphQLString), resolve: (node) => node.def.id },
    kind: { type: nonNull(NodeKindType), resolve: (node) => node.def.kind },
    description: { type: GraphQLString, resolve: (node) => node.def.description },
    dependsOn: { type: list(GraphQLString), resolve: (node) => node.def.dependencies },
    outputs: { type: list(NodeOutputType), resolve: (node) => node.def.outputs.map((o) => ({ ...o, type: typeToString(o.type) })) },
    versions: { type: list(NodeVersionType), resolve: (node) => node.def.versions.map((_, index) => ({ node, index })) },
    routing: { type: nonNull(NodeRoutingType), resolve: (node) => node },
  },
});

const PipelineEdgeType = new GraphQLObjectType<{ from: string; to: string; kind: string }>({
  name: 'PipelineEdge',
  fields: { from: { type: nonNull(GraphQLString) }, to: { type: nonNull(GraphQLString) }, kind: { type: nonNull(EdgeKindType) } },
});

const InputFieldInfoType = new GraphQLObjectType<PipelinePlan['input'][number]>({
  name: 'PipelineInputField',
  fields: {
    name: { type: nonNull(GraphQLString) },
    type: { type: nonNull(GraphQLString), resolve: (field) => typeToString(field.type) },
    description: { type: GraphQLString },
    required: { type: nonNull(GraphQLBoolean), resolve: (field) => field.default === undefined },
    default: { type: GraphQLString, description: 'The default, as JSON.', resolve: (field) => (field.default === undefined ? null : JSON.stringify(field.default)) },
    min: { type: GraphQLFloat },
    max: { type: GraphQLFloat },
  },
});

const PipelineOutputInfoType = new GraphQLObjectType<PipelinePlan['outputs'][number]>({
  name: 'PipelineOutput',
  fields: {
    name: { type: nonNull(GraphQLString) },
    type: { type: nonNull(GraphQLString), resolve: (output) => typeToString(output.type) },
    source: { type: nonNull(GraphQLString), resolve: (output) => (output.ref.source === 'input' ? `input.${output.ref.field}` : `${output.ref.node}.${output.ref.output}`) },
  },
});

const PipelineType = new GraphQLObjectType<PipelinePlan>({
  name: 'Pipeline',
  description: 'A pipeline: its input, its DAG of nodes with versions and routing, its outputs.',
  fields: {
    name: { type: nonNull(GraphQLString) },
    description: { type: GraphQLString, resolve: (plan) => plan.definition.description },
    queryField: { type: nonNull(GraphQLString), resolve: (plan) => plan.name },
    batchField: { type: nonNull(GraphQLString), resolve: (plan) => batchFieldName(plan.name) },
    routingKey: { type: nonNull(GraphQLString), resolve: (plan) => plan.definition.routingKey },
    input: { type: list(InputFieldInfoType), resolve: (plan) => plan.input },
    nodes: { type: list(PipelineNodeType), resolve: (plan) => plan.nodes },
    node: {
      type: PipelineNodeType,
      args: { id: { type: nonNull(GraphQLString) } },
      resolve: (plan, args: { id: string }) => plan.nodes.find((node) => node.def.id === args.id) ?? null,
    },
    edges: { type: list(PipelineEdgeType), resolve: (plan) => edges(plan) },
    outputs: { type: list(PipelineOutputInfoType), resolve: (plan) => plan.outputs },
  },
});

/** `pipelines` and `pipeline(name)`: the shape, versions and traffic of what is served. */
export function createAdminFields(engine: Engine): GraphQLFieldConfigMap<unknown, unknown> {
  return {
    pipelines: {
      type: list(PipelineType),
      description: 'Every pipeline served, with nodes, edges, versions (with sha256) and traffic.',
      resolve: () => [...engine.pipelines.values()],
    },
    pipeline: {
      type: PipelineType,
      args: { name: { type: nonNull(GraphQLString) } },
      resolve: (_source, args: { name: string }) => engine.pipelines.get(args.name) ?? null,
    },
  };
}

/** Data edges (a node reads another) and branch edges (a switch may run a node). */
export function edges(plan: PipelinePlan): { from: string; to: string; kind: 'data' | 'branch' }[] {
  return plan.nodes.flatMap((node) => [
    ...node.def.dependencies.map((dep) => ({ from: dep, to: node.def.id, kind: 'data' as const })),
    ...(node.def.kind === 'switch' ? node.def.branches.map((branch) => ({ from: branch, to: node.def.id, kind: 'branch' as const })) : []),
  ]);
}

function version(def: NodeDef, index: number): NodeDef['versions'][number] {
  return def.versions[index] as NodeDef['versions'][number];
}
