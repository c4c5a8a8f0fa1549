/**
 * The pipeline file format, declared once. The TypeScript types (`Static<...>`), the published
 * JSON Schema (`pipeline.schema.json`) and the shape check with its unknown-key errors all come
 * from these declarations, so they cannot drift apart.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const NAME_PATTERN = '^[_A-Za-z][_0-9A-Za-z]*$';
const REF_PATTERN = '^[_A-Za-z][_0-9A-Za-z]*\\.[_A-Za-z][_0-9A-Za-z]*$';

const Name = (description: string) => Type.String({ pattern: NAME_PATTERN, description });

/** A map keyed by GraphQL-style names; other keys are errors (in editors too). */
const NamedRecord = <T extends TSchema>(value: T, options: { description?: string; minProperties?: number } = {}) =>
  Type.Record(Type.String({ pattern: NAME_PATTERN }), value, { additionalProperties: false, ...options });

/** `input.<field>` or `<node>.<output>`. */
export const RefSchema = Type.String({
  pattern: REF_PATTERN,
  description: 'A value: `input.<field>` for a pipeline input field, or `<node>.<output>` for a node output.',
});

const Description = Type.Optional(Type.String({ description: 'Shown in the GraphQL schema and in introspection.' }));

export const SCALAR_TYPE_NAMES = ['Float', 'Int', 'String', 'Boolean', 'ID'] as const;

/** What an expression node may declare as its `type` (the kinds rule checks it). */
export const EXPRESSION_TYPE_NAMES = ['Float', 'Int', 'String', 'Boolean', '[Float]', '[Int]', '[String]', '[Boolean]'] as const;

export const InputFieldSchema = Type.Object(
  {
    type: Type.String({
      pattern: NAME_PATTERN,
      description: 'Float, Int, String, Boolean, ID, or the name of an enum declared under `enums`.',
    }),
    description: Description,
    default: Type.Optional(
      Type.Union([Type.Number(), Type.String(), Type.Boolean()], {
        description: 'Makes the field optional; used when the request leaves it out.',
      }),
    ),
    min: Type.Optional(Type.Number({ description: 'Inclusive lower bound (Float and Int fields).' })),
    max: Type.Optional(Type.Number({ description: 'Inclusive upper bound (Float and Int fields).' })),
  },
  { additionalProperties: false },
);

const FixedPolicySchema = Type.Object(
  {
    policy: Type.Literal('fixed'),
    version: Type.Optional(Type.String({ description: 'The version every request gets; default: the first declared.' })),
  },
  { additionalProperties: false, description: 'Every request gets one version.' },
);

const SplitPolicySchema = Type.Object(
  {
    policy: Type.Literal('split'),
    weights: NamedRecord(Type.Number({ minimum: 0 }), {
      description: 'Traffic share per version (relative weights, e.g. 90 and 10).',
    }),
    salt: Type.Optional(Type.String({ description: 'Hash salt; default `<pipeline>.<node>`. Changing it reshuffles units.' })),
  },
  {
    additionalProperties: false,
    description: 'Weighted split with sticky assignment: a hash of the routing key and the salt picks the version.',
  },
);

export const RoutingSchema = Type.Union([FixedPolicySchema, SplitPolicySchema], {
  description: 'How a request is assigned one of the node versions.',
});

const OnnxInputsSchema = Type.Record(
  Type.String({ description: 'An input tensor name of the model.' }),
  Type.Union([RefSchema, Type.Array(RefSchema, { minItems: 1 })]),
  {
    description:
      'Model input tensor name → one value (a [N,1] tensor) or a list of values (a [N,k] tensor, in this order).',
  },
);

const OnnxOutputSchema = Type.Union([
  Type.String({ description: 'The output tensor name ([N] or [N,1]).' }),
  Type.Object(
    {
      tensor: Type.String({ description: 'The output tensor name.' }),
      column: Type.Optional(Type.Integer({ minimum: 0, description: 'Picks one column (0-based) of an [N,k] output.' })),
      class: Type.Optional(
        Type.Union([Type.Integer(), Type.String()], {
          description: 'Picks the probability column of this class label (classifiers whose ZipMap names the classes).',
        }),
      ),
      description: Description,
    },
    { additionalProperties: false },
  ),
]);

const OnnxVersionSchema = Type.Object(
  {
    model: Type.String({ description: 'Path of the .onnx file, relative to the pipeline file.' }),
    inputs: Type.Optional(OnnxInputsSchema),
    sha256: Type.Optional(
      Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Expected sha256 of the model file; loading fails if it differs.' }),
    ),
    description: Description,
  },
  { additionalProperties: false },
);

const Versions = <T extends TSchema>(schema: T) =>
  NamedRecord(schema, {
    minProperties: 1,
    description: 'Named versions of this node. Each has a sha256; responses say which one answered.',
  });

export const OnnxNodeSchema = Type.Object(
  {
    kind: Type.Literal('onnx'),
    description: Description,
    inputs: OnnxInputsSchema,
    outputs: NamedRecord(OnnxOutputSchema, {
      minProperties: 1,
      description: 'Node output name → model output tensor (and column).',
    }),
    versions: Versions(OnnxVersionSchema),
    routing: Type.Optional(RoutingSchema),
  },
  { additionalProperties: false, description: 'An ONNX model run by onnxruntime.' },
);

const ExpressionVersionSchema = Type.Object(
  { expr: Type.String({ minLength: 1 }), description: Description },
  { additionalProperties: false },
);

export const ExpressionNodeSchema = Type.Object(
  {
    kind: Type.Literal('expression'),
    description: Description,
    expr: Type.Optional(Type.String({ minLength: 1, description: 'A CEL expression over `input` and upstream nodes.' })),
    type: Type.Optional(
      Type.String({ description: 'Expected result type (Float, Int, String, Boolean); checked against the expression.' }),
    ),
    versions: Type.Optional(Versions(ExpressionVersionSchema)),
    routing: Type.Optional(RoutingSchema),
  },
  { additionalProperties: false, description: 'A value computed by a CEL expression; output `value`.' },
);

export const COMBINER_METHODS = ['weightedSum', 'logistic', 'mean', 'min', 'max', 'scorecard'] as const;
export const COMPONENT_TRANSFORMS = ['identity', 'logit', 'negLogit', 'log'] as const;

const ComponentSchema = Type.Object(
  {
    value: RefSchema,
    weight: Type.Optional(Type.Number({ description: 'Default 1.' })),
    transform: Type.Optional(
      Type.Union(
        COMPONENT_TRANSFORMS.map((t) => Type.Literal(t)),
        { description: 'Applied before weighting: logit(p), negLogit(p) = log((1-p)/p), log(x). Default identity.' },
      ),
    ),
    reference: Type.Optional(
      Type.Number({
        description: 'The neutral value of the component (before the transform); contributions are measured from it. Default 0.',
      }),
    ),
    reason: Type.Optional(
      Type.Object(
        {
          code: Type.String({ minLength: 1 }),
          description: Type.Optional(Type.String()),
        },
        { additionalProperties: false, description: 'The reason code reported when this component hurts the result.' },
      ),
    ),
  },
  { additionalProperties: false },
);

const ScorecardSchema = Type.Object(
  {
    baseScore: Type.Number({ description: 'The score at the base odds, e.g. 600.' }),
    baseOdds: Type.Number({ exclusiveMinimum: 0, description: 'Good:bad odds that score `baseScore`, e.g. 50.' }),
    pointsToDoubleOdds: Type.Number({ exclusiveMinimum: 0, description: 'Points that double the odds (PDO), e.g. 20.' }),
    min: Type.Optional(Type.Number({ description: 'Lowest reported score, e.g. 300.' })),
    max: Type.Optional(Type.Number({ description: 'Highest reported score, e.g. 850.' })),
    round: Type.Optional(Type.Boolean({ description: 'Round the score to an integer. Default true.' })),
  },
  { additionalProperties: false },
);

const ReasonsSchema = Type.Object(
  {
    top: Type.Optional(Type.Integer({ minimum: 0, description: 'How many reason codes to return. Default 4.' })),
    higherIsBetter: Type.Optional(
      Type.Boolean({ description: 'Whether a higher combined value is good (scores) or bad (risks). Default: true for scorecard, false otherwise.' }),
    ),
  },
  { additionalProperties: false },
);

const CombinerVersionSchema = Type.Object(
  {
    weights: Type.Optional(NamedRecord(Type.Number(), { description: 'Component weight overrides.' })),
    intercept: Type.Optional(Type.Number()),
    description: Description,
  },
  { additionalProperties: false },
);

export const CombinerNodeSchema = Type.Object(
  {
    kind: Type.Literal('combiner'),
    description: Description,
    method: Type.Union(
      COMBINER_METHODS.map((m) => Type.Literal(m)),
      { description: 'How the components are combined.' },
    ),
    components: NamedRecord(ComponentSchema, { minProperties: 1 }),
    intercept: Type.Optional(Type.Number({ description: 'Added to the weighted sum (weightedSum, logistic, scorecard). Default 0.' })),
    scorecard: Type.Optional(ScorecardSchema),
    reasons: Type.Optional(ReasonsSchema),
    versions: Type.Optional(Versions(CombinerVersionSchema)),
    routing: Type.Optional(RoutingSchema),
  },
  {
    additionalProperties: false,
    description: 'Combines component values; outputs `value`, `contributions` and `reasons` (scorecard also `logOdds`, `probability`).',
  },
);

const SwitchCaseSchema = Type.Object(
  {
    when: Type.String({ minLength: 1, description: 'A CEL condition (bool).' }),
    then: Type.String({ pattern: NAME_PATTERN, description: 'The node that answers when the condition holds.' }),
  },
  { additionalProperties: false },
);

export const SwitchNodeSchema = Type.Object(
  {
    kind: Type.Literal('switch'),
    description: Description,
    cases: Type.Array(SwitchCaseSchema, { minItems: 1, description: 'Checked in order; the first that holds wins.' }),
    default: Type.String({ pattern: NAME_PATTERN, description: 'The node that answers when no case holds.' }),
  },
  {
    additionalProperties: false,
    description: 'Picks one branch node by condition; branches not taken do not run. Outputs the branch outputs plus `branch`.',
  },
);

export const NodeSchema = Type.Union([OnnxNodeSchema, ExpressionNodeSchema, CombinerNodeSchema, SwitchNodeSchema]);

export const PipelineFileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    name: Name('The GraphQL query field of this pipeline, e.g. `creditScore` (the batch field is `<name>Batch`).'),
    description: Description,
    routingKey: Name('The input field that keeps one unit (e.g. an applicant) on one version.'),
    input: NamedRecord(InputFieldSchema, {
      minProperties: 1,
      description: 'The typed request input.',
    }),
    enums: Type.Optional(
      NamedRecord(Type.Array(Type.String({ pattern: NAME_PATTERN }), { minItems: 1 }), {
        description: 'Enum types usable as input field types (GraphQL enums).',
      }),
    ),
    nodes: NamedRecord(NodeSchema, { minProperties: 1, description: 'The DAG.' }),
    outputs: NamedRecord(RefSchema, {
      minProperties: 1,
      description: 'Result fields of the pipeline: output name → `<node>.<output>` or `input.<field>`.',
    }),
  },
  {
    additionalProperties: false,
    $id: 'https://tessera.dev/schemas/pipeline.schema.json',
    title: 'Tessera pipeline',
    description: 'A composite model: a typed input, a DAG of nodes, named outputs.',
  },
);

export type PipelineFile = Static<typeof PipelineFileSchema>;
export type InputFieldFile = Static<typeof InputFieldSchema>;
export type NodeFile = Static<typeof NodeSchema>;
export type OnnxNodeFile = Static<typeof OnnxNodeSchema>;
export type OnnxVersionFile = Static<typeof OnnxVersionSchema>;
export type OnnxOutputFile = Static<typeof OnnxOutputSchema>;
export type ExpressionNodeFile = Static<typeof ExpressionNodeSchema>;
export type CombinerNodeFile = Static<typeof CombinerNodeSchema>;
export type ComponentFile = Static<typeof ComponentSchema>;
export type SwitchNodeFile = Static<typeof SwitchNodeSchema>;
export type RoutingFile = Static<typeof RoutingSchema>;
export type CombinerMethod = (typeof COMBINER_METHODS)[number];
export type ComponentTransform = (typeof COMPONENT_TRANSFORMS)[number];

/** The JSON Schema document published as `pipeline.schema.json` (draft 2020-12). */
export function pipelineJsonSchema(): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(PipelineFileSchema)) as Record<string, unknown>;
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...plain };
}
