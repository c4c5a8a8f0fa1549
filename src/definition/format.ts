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

/** The largest relative weight of a split (weights are relative: 90 and 10, or 9 and 1). */
export const MAX_SPLIT_WEIGHT = 1_000_000;

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

const Salt = Type.Optional(Type.String({ description: 'Hash salt; default `<pipeline>.<node>`. Changing it reshuffles units.' }));
const Alpha = (fallback: number) =>
  Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.5, description: `Significance level. Default ${fallback}.` }));
const DURATION_PATTERN = '^[0-9]+(ms|s|m|h)$';

/** How outcomes are read: a 0/1 label or a number, and which direction is better. */
export const OutcomeSpecSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('binary'), Type.Literal('continuous')], {
      description: 'binary: outcomes are 0 or 1 (e.g. defaulted); continuous: any number (e.g. revenue).',
    }),
    better: Type.Union([Type.Literal('higher'), Type.Literal('lower')], { description: 'Which direction of the outcome is good.' }),
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
    weights: NamedRecord(Type.Number({ minimum: 0, maximum: MAX_SPLIT_WEIGHT }), {
      description: 'Traffic share per version (relative weights, e.g. 90 and 10).',
    }),
    control: Type.Optional(Type.String({ description: 'The version others are compared with; default: the first declared.' })),
    outcome: Type.Optional(OutcomeSpecSchema),
    alpha: Alpha(0.05),
    salt: Salt,
  },
  {
    additionalProperties: false,
    description: 'A/B/n experiment: a weighted split with sticky assignment and a statistical readout per arm.',
  },
);

const Gate = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([Type.Literal(false), schema]));

const CanaryPolicySchema = Type.Object(
  {
    policy: Type.Literal('canary'),
    stable: Type.String({ description: 'The version serving today.' }),
    candidate: Type.String({ description: 'The version being released.' }),
    steps: Type.Optional(
      Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 100 }), {
        minItems: 1,
        description: 'Candidate traffic per step, in percent, increasing. Reaching 100 promotes. Default [5, 25, 50, 100].',
      }),
    ),
    minSamples: Type.Optional(Type.Integer({ minimum: 1, description: 'Candidate requests per step before it can pass. Default 500.' })),
    minDuration: Type.Optional(
      Type.String({ pattern: DURATION_PATTERN, description: 'Time per step before it can pass, e.g. 10m. Default 1m.' }),
    ),
    gates: Type.Optional(
      Type.Object(
        {
          errorRate: Gate(
            Type.Object(
              {
                maxIncrease: Type.Optional(Type.Number({ minimum: 0, description: 'Tolerated rise of the error rate. Default 0.005.' })),
                alpha: Alpha(0.001),
              },
              { additionalProperties: false },
            ),
          ),
          latency: Gate(
            Type.Object(
              { maxP99Ratio: Type.Optional(Type.Number({ exclusiveMinimum: 1, description: 'Candidate p99 / stable p99. Default 1.5.' })) },
              { additionalProperties: false },
            ),
          ),
          drift: Gate(
            Type.Object(
              {
                output: Type.Optional(Type.String({ description: 'The Float output compared; default the first one.' })),
                alpha: Alpha(0.001),
                minPsi: Type.Optional(Type.Number({ minimum: 0, description: 'PSI below this never fails the gate. Default 0.05.' })),
                minKs: Type.Optional(Type.Number({ minimum: 0, description: 'KS distance below this never fails the gate. Default 0.1.' })),
              },
              { additionalProperties: false },
            ),
          ),
          outcome: Type.Optional(
            Type.Object(
              {
                kind: OutcomeSpecSchema.properties.kind,
                better: OutcomeSpecSchema.properties.better,
                alpha: Alpha(0.001),
                minSamples: Type.Optional(Type.Integer({ minimum: 1, description: 'Candidate outcomes per step before it can pass. Default 1000.' })),
              },
              { additionalProperties: false, description: 'Roll back when outcomes show the candidate worse (mSPRT).' },
            ),
          ),
        },
        { additionalProperties: false, description: 'Checks at each step; `false` turns one off.' },
      ),
    ),
    salt: Salt,
  },
  { additionalProperties: false, description: 'Ramp the candidate in steps, with automatic analysis, promotion and rollback.' },
);

const ShadowPolicySchema = Type.Object(
  {
    policy: Type.Literal('shadow'),
    primary: Type.String({ description: 'The version whose output is returned.' }),
    shadow: Type.String({ description: 'The version run on the side and compared; never returned.' }),
    fraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Share of units mirrored. Default 1.' })),
    tolerance: Type.Optional(Type.Number({ minimum: 0, description: 'Outputs within this are in agreement. Default 0.01.' })),
    maxConcurrent: Type.Optional(Type.Integer({ minimum: 1, description: 'Shadow runs in flight at most; more are skipped. Default 64.' })),
    timeout: Type.Optional(Type.String({ pattern: DURATION_PATTERN, description: 'A shadow run slower than this counts as timed out. Default 1s.' })),
    salt: Salt,
  },
  { additionalProperties: false, description: 'Mirror traffic to a candidate off the critical path and compare.' },
);

const BanditPolicySchema = Type.Object(
  {
    policy: Type.Literal('bandit'),
    algorithm: Type.Optional(
      Type.Union([Type.Literal('thompson'), Type.Literal('ucb1'), Type.Literal('epsilonGreedy')], { description: 'Default thompson.' }),
    ),
    reward: OutcomeSpecSchema,
    epsilon: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'epsilonGreedy exploration. Default 0.1.' })),
    floor: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Minimum share of requests per arm. Default 0.01.' })),
  },
  { additionalProperties: false, description: 'A multi-armed bandit over the versions, rewarded by outcomes.' },
);

export const RoutingSchema = Type.Union([FixedPolicySchema, SplitPolicySchema, CanaryPolicySchema, ShadowPolicySchema, BanditPolicySchema], {
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

const Timeout = Type.Optional(
  Type.String({ pattern: DURATION_PATTERN, description: 'How long the node may take; past it, the fallback answers (or the node fails with NODE_TIMEOUT).' }),
);

const FallbackSchema = Type.Optional(
  Type.Object(
    {
      version: Type.Optional(Type.String({ description: 'Another version of the node to answer with.' })),
      value: Type.Optional(
        NamedRecord(Type.Union([Type.Number(), Type.String(), Type.Boolean()]), { description: 'Fixed outputs to answer with, one per node output.' }),
      ),
    },
    {
      additionalProperties: false,
      description: 'What answers when the node fails or times out: another version, or fixed output values (exactly one of them).',
    },
  ),
);

export const SessionOptionsSchema = Type.Object(
  {
    intraOpThreads: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'Threads inside one operator. Default 1.' })),
    interOpThreads: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'Threads across operators (parallel mode). Default 1.' })),
    executionMode: Type.Optional(Type.Union([Type.Literal('sequential'), Type.Literal('parallel')], { description: 'Default sequential.' })),
    graphOptimizationLevel: Type.Optional(
      Type.Union([Type.Literal('disabled'), Type.Literal('basic'), Type.Literal('extended'), Type.Literal('all')], { description: 'Default all.' }),
    ),
    thread: Type.Optional(
      Type.Union([Type.Literal('main'), Type.Literal('worker')], {
        description:
          "Where runs execute. Default main: onnxruntime-node's run blocks the event loop for the inference. worker: a worker thread of the session's own, so that a slow model holds neither other requests nor its node's timeout.",
      }),
    ),
  },
  { additionalProperties: false, description: 'onnxruntime session options.' },
);

const BatchSchema = Type.Object(
  {
    maxSize: Type.Optional(Type.Integer({ minimum: 1, description: 'Most rows in one model run. Default 1024.' })),
    maxWait: Type.Optional(
      Type.String({ pattern: DURATION_PATTERN, description: 'Wait this long for more rows before a run. Default: no wait; rows that arrive together share a run.' }),
    ),
  },
  { additionalProperties: false, description: 'How concurrent requests share model runs.' },
);

const OnnxVersionSchema = Type.Object(
  {
    model: Type.String({ description: 'Path of the .onnx file, relative to the pipeline file.' }),
    inputs: Type.Optional(OnnxInputsSchema),
    sha256: Type.Optional(
      Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Expected sha256 of the model file; loading fails if it differs.' }),
    ),
    session: Type.Optional(SessionOptionsSchema),
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
    batch: Type.Optional(BatchSchema),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'Model runs in flight at once, per version. Default 1.' })),
    session: Type.Optional(SessionOptionsSchema),
    timeout: Timeout,
    fallback: FallbackSchema,
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
    fallback: FallbackSchema,
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
    fallback: FallbackSchema,
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
export type OutcomeSpec = Static<typeof OutcomeSpecSchema>;
export type SessionOptionsFile = Static<typeof SessionOptionsSchema>;
export type CombinerMethod = (typeof COMBINER_METHODS)[number];
export type ComponentTransform = (typeof COMPONENT_TRANSFORMS)[number];

/** The JSON Schema document published as `pipeline.schema.json` (draft 2020-12). */
export function pipelineJsonSchema(): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(PipelineFileSchema)) as Record<string, unknown>;
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...plain };
}
