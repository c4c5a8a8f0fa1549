import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigMap,
  type GraphQLInputFieldConfigMap,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLScalarType,
} from 'graphql';
import { ErrorCode, TesseraError } from '../errors/index.js';
import { rethrow } from './fieldErrors.js';
import type { InputFieldDef, Value, ValueType } from '../definition/types.js';
import type { Engine } from '../execution/engine.js';
import { coerceInput } from '../execution/input.js';
import { afterSettled, inputError, settleAll } from '../execution/engine.js';
import { isPromise } from '../execution/promiseOrValue.js';
import type { PipelineRun } from '../execution/run.js';
import type { PipelinePlan } from '../plan/plan.js';
import { createAdminFields } from './introspection.js';
import { createMutationFields, createRolloutQueryFields, createSubscriptionFields, rolloutType, type RequestContext } from './rollouts.js';
import {
  batchFieldName,
  inputTypeName,
  NODES_FIELD,
  nodeOutputsTypeName,
  nodesTypeName,
  REQUEST_ID_FIELD,
  resultTypeName,
  ROUTING_FIELD,
  TIMINGS_FIELD,
  TRACE_ID_FIELD,
} from './names.js';
import { selectedNodes } from './selection.js';
import { ContributionType, NodeTimingType, ReasonCodeType, RoutingDecisionType } from './sharedTypes.js';

export interface SchemaOptions {
  /** Most inputs one batch field call may take. Default 10,000. */
  readonly maxBatchSize?: number;
}

const DEFAULT_MAX_BATCH_SIZE = 10_000;

/**
 * The GraphQL schema of a set of pipelines: per pipeline a query field with a typed input and
 * result, and a batch field; plus introspection of the pipelines themselves.
 */
export function buildSchema(engine: Engine, options: SchemaOptions = {}): GraphQLSchema {
  const maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
  const enums = new Map<string, GraphQLEnumType>();
  const enumType = (name: string, values: readonly string[]): GraphQLEnumType => {
    let type = enums.get(name);
    if (!type) {
      type = new GraphQLEnumType({ name, values: Object.fromEntries(values.map((value) => [value, { value }])) });
      enums.set(name, type);
    }
    return type;
  };
  const queryFields: GraphQLFieldConfigMap<unknown, RequestContext> = {};
  for (const plan of [...engine.pipelines.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const inputType = buildInputType(plan, enumType);
    const resultType = buildResultType(plan, enumType);
    const description = plan.definition.description;
    queryFields[plan.name] = {
      type: resultType,
      description: description ?? `Runs pipeline "${plan.name}" for one input.`,
      args: { input: { type: new GraphQLNonNull(inputType) } },
      resolve: (_source, args: { input: Record<string, unknown> }, context, info) => {
        const checked = coerceInput(plan.input, args.input);
        if (!checked.ok) throw inputError(checked.problems).toGraphQLError();
        // The result once the run has settled: its fields then resolve without a promise each.
        const run = startRun(engine, plan, checked.value, selectedNodes(plan, info), context);
        return afterSettled(run, () => run);
      },
    };
    queryFields[batchFieldName(plan.name)] = {
      type: new GraphQLNonNull(new GraphQLList(resultType)),
      description: `Runs pipeline "${plan.name}" for many inputs at once; rows share model runs. A row with bad input or a failing node gets an error of its own; the other rows are answered.`,
      args: { inputs: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(inputType))) } },
      resolve: (_source, args: { inputs: Record<string, unknown>[] }, context, info) => {
        if (args.inputs.length > maxBatchSize) {
          throw new TesseraError(ErrorCode.BadUserInput, `A batch takes at most ${maxBatchSize} inputs; got ${args.inputs.length}.`, {
            field: 'inputs',
            rule: 'maxBatchSize',
            limit: maxBatchSize,
          }).toGraphQLError();
        }
        const nodes = selectedNodes(plan, info);
        const runs: PipelineRun[] = [];
        const results = args.inputs.map((input) => {
          const checked = coerceInput(plan.input, input);
          if (!checked.ok) return inputError(checked.problems).toGraphQLError();
          const run = startRun(engine, plan, checked.value, nodes, context);
          runs.push(run);
          return run;
        });
        // One promise for the whole batch; then every row's fields resolve synchronously.
        const settled = settleAll(runs);
        return settled ? settled.then(() => results) : results;
      },
    };
  }
  Object.assign(queryFields, createAdminFields(engine));
  const rolloutFields = createRolloutQueryFields(engine);
  Object.assign(queryFields, rolloutFields);
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: queryFields }),
    mutation: new GraphQLObjectType({ name: 'Mutation', fields: createMutationFields(engine, rolloutType(rolloutFields)) }),
    subscription: new GraphQLObjectType({ name: 'Subscription', fields: createSubscriptionFields(engine) }),
  });
}

function buildInputType(plan: PipelinePlan, enumType: (name: string, values: readonly string[]) => GraphQLEnumType): GraphQLInputObjectType {
  const fields: GraphQLInputFieldConfigMap = {};
  for (const field of plan.input) {
    const type = inputFieldType(field, enumType);
    fields[field.name] = {
      type: field.default === undefined ? new GraphQLNonNull(type) : type,
      description: describeInputField(field, plan.definition.routingKey),
      ...(field.default !== undefined ? { defaultValue: field.default } : {}),
    };
  }
  return new GraphQLInputObjectType({ name: inputTypeName(plan.name), description: `Input of pipeline "${plan.name}".`, fields });
}

function inputFieldType(field: InputFieldDef, enumType: (name: string, values: readonly string[]) => GraphQLEnumType): GraphQLInputType {
  const type = field.type;
  if (type.kind === 'enum') return enumType(type.name, type.values);
  if (type.kind !== 'scalar') throw new Error(`Invariant violation: input field "${field.name}" is ${type.kind}`);
  return scalarType(type);
}

function describeInputField(field: InputFieldDef, routingKey: string): string | undefined {
  const parts = [field.description];
  if (field.min !== undefined && field.max !== undefined) parts.push(`Range: ${field.min} to ${field.max}.`);
  else if (field.min !== undefined) parts.push(`Minimum: ${field.min}.`);
  else if (field.max !== undefined) parts.push(`Maximum: ${field.max}.`);
  if (field.name === routingKey) parts.push('Routing key: keeps one unit on one version of each node.');
  const text = parts.filter(Boolean).join(' ');
  return text === '' ? undefined : text;
}

function buildResultType(plan: PipelinePlan, enumType: (name: string, values: readonly string[]) => GraphQLEnumType): GraphQLObjectType {
  const outputType = (type: ValueType): GraphQLOutputType => valueType(type, enumType);
  const nodeTypes: GraphQLFieldConfigMap<PipelineRun, unknown> = {};
  for (const node of plan.nodes) {
    const fields: GraphQLFieldConfigMap<PipelineRun, unknown> = {};
    for (const output of node.def.outputs) {
      fields[output.name] = {
        type: outputType(output.type),
        ...(output.description ? { description: output.description } : {}),
        resolve: (run) => nodeValue(run, node.index, output.name),
      };
    }
    nodeTypes[node.def.id] = {
      type: new GraphQLNonNull(
        new GraphQLObjectType({
          name: nodeOutputsTypeName(plan.name, node.def.id),
          description: `Outputs of node "${node.def.id}" (${node.def.kind})${node.def.description ? `: ${node.def.description}` : '.'}`,
          fields,
        }),
      ),
      ...(node.def.description ? { description: node.def.description } : {}),
      resolve: (run) => run,
    };
  }
  const fields: GraphQLFieldConfigMap<PipelineRun, unknown> = {
    [REQUEST_ID_FIELD]: {
      type: new GraphQLNonNull(GraphQLID),
      description: 'Identifies this request: report outcomes against it.',
      resolve: (run) => run.requestId,
    },
  };
  for (const output of plan.outputs) {
    const field: GraphQLFieldConfig<PipelineRun, unknown> = {
      type: outputType(output.type),
      description: `From ${output.ref.source === 'input' ? `input.${output.ref.field}` : `${output.ref.node}.${output.ref.output}`}.`,
      resolve: (run) => (output.node < 0 ? output.read(run) : nodeValue(run, output.node, undefined, output.read)),
    };
    fields[output.name] = field;
  }
  fields[NODES_FIELD] = {
    type: new GraphQLNonNull(
      new GraphQLObjectType({ name: nodesTypeName(plan.name), description: 'Every node of the pipeline; only the selected ones run.', fields: nodeTypes }),
    ),
    description: 'Outputs of individual nodes. Selecting a node runs it (and what it reads).',
    resolve: (run) => run,
  };
  fields[TRACE_ID_FIELD] = {
    type: GraphQLString,
    description: 'The W3C trace id of this request, when it is traced: open it in the trace viewer.',
    resolve: (run) => run.traceId,
  };
  fields[TIMINGS_FIELD] = {
    type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(NodeTimingType))),
    description: 'For each node that ran: version, start, duration, and for model runs the queue wait and batch size.',
    resolve: (run) => afterSettled(run, () => run.timings()),
  };
  fields[ROUTING_FIELD] = {
    type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(RoutingDecisionType))),
    description: 'For each node that ran: the version, its sha256, and the policy that chose it.',
    resolve: (run) => afterSettled(run, () => run.decisions),
  };
  return new GraphQLObjectType({ name: resultTypeName(plan.name), description: `Result of pipeline "${plan.name}".`, fields });
}

/** A node output for a field, with the node's failure turned into this field's error. */
function nodeValue(run: PipelineRun, index: number, output: string | undefined, read?: (run: PipelineRun) => Value): unknown {
  const pick = (): unknown => (read ? read(run) : run.outputs(index)[output as string]);
  try {
    const ready = run.demand(index);
    return isPromise(ready) ? ready.then(pick, rethrow) : pick();
  } catch (error) {
    return rethrow(error);
  }
}

/** `engine.start`, with its refusal (an engine that is closing) as the field's GraphQL error. */
function startRun(engine: Engine, plan: PipelinePlan, input: Readonly<Record<string, Value>>, nodes: readonly number[], context: RequestContext | undefined): PipelineRun {
  try {
    return engine.start(plan, input, nodes, { traceContext: context?.traceContext });
  } catch (error) {
    return rethrow(error);
  }
}

function valueType(type: ValueType, enumType: (name: string, values: readonly string[]) => GraphQLEnumType): GraphQLOutputType {
  switch (type.kind) {
    case 'scalar':
      return scalarType(type);
    case 'enum':
      return enumType(type.name, type.values);
    case 'list':
      return new GraphQLList(new GraphQLNonNull(valueType(type.of, enumType)));
    case 'object':
      return type.name === 'ReasonCode' ? ReasonCodeType : ContributionType;
  }
}

function scalarType(type: Extract<ValueType, { kind: 'scalar' }>): GraphQLScalarType {
  switch (type.name) {
    case 'Float':
      return GraphQLFloat;
    case 'Int':
      return GraphQLInt;
    case 'String':
      return GraphQLString;
    case 'Boolean':
      return GraphQLBoolean;
    case 'ID':
      return GraphQLID;
  }
}
