/**
 * The validated form of a pipeline: what loading produces and everything after it reads. Nothing
 * here is re-checked at request time.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { OnnxSignature } from '../nodes/onnx/signature.js';
import type { CombinerMethod, ComponentTransform } from './format.js';

export type ScalarTypeName = 'Float' | 'Int' | 'String' | 'Boolean' | 'ID';

/** The type of a value flowing between nodes, and of the GraphQL field that shows it. */
export type ValueType =
  | { readonly kind: 'scalar'; readonly name: ScalarTypeName }
  | { readonly kind: 'enum'; readonly name: string; readonly values: readonly string[] }
  | { readonly kind: 'list'; readonly of: ValueType }
  | { readonly kind: 'object'; readonly name: 'ReasonCode' | 'Contribution' };

/** A value at run time: numbers for Float and Int, strings for String, ID and enums. */
export type Value = number | string | boolean | null | readonly Value[] | ReasonCode | Contribution;

/** Why a combined result is what it is: one component that pulled it the wrong way. */
export interface ReasonCode {
  readonly code: string;
  readonly description: string | null;
  readonly component: string;
  /** The component's effect on the result (points for a scorecard), adverse sign. */
  readonly contribution: number;
}

/** One component's share of a combined result. */
export interface Contribution {
  readonly component: string;
  /** The upstream value, before the transform. */
  readonly value: number;
  readonly weight: number;
  readonly contribution: number;
}

/** A reference to a value: a pipeline input field or a node output. */
export type Ref =
  | { readonly source: 'input'; readonly field: string }
  | { readonly source: 'node'; readonly node: string; readonly output: string };

export interface InputFieldDef {
  readonly name: string;
  readonly type: ValueType;
  readonly description: string | undefined;
  /** Present when the field is optional. */
  readonly default: string | number | boolean | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
}

export interface OutputDef {
  readonly name: string;
  readonly type: ValueType;
  readonly description: string | undefined;
}

/** How outcomes are read: a 0/1 label or a number, and which direction is better. */
export interface OutcomeSpecDef {
  readonly kind: 'binary' | 'continuous';
  readonly better: 'higher' | 'lower';
}

export interface CanaryGatesDef {
  readonly errorRate: { readonly maxIncrease: number; readonly alpha: number } | undefined;
  readonly latency: { readonly maxP99Ratio: number } | undefined;
  readonly drift: { readonly output: string; readonly alpha: number; readonly minPsi: number; readonly minKs: number } | undefined;
  readonly outcome: (OutcomeSpecDef & { readonly alpha: number; readonly minSamples: number }) | undefined;
}

/** How requests are assigned versions of a node: the declared rollout policy, defaults filled in. */
export type RoutingDef =
  | { readonly policy: 'fixed'; readonly version: string }
  | {
      readonly policy: 'split';
      readonly weights: readonly { readonly version: string; readonly weight: number }[];
      readonly control: string;
      readonly outcome: OutcomeSpecDef | undefined;
      readonly alpha: number;
      readonly salt: string;
    }
  | {
      readonly policy: 'canary';
      readonly stable: string;
      readonly candidate: string;
      /** Candidate shares per step, as fractions in (0, 1]. */
      readonly steps: readonly number[];
      readonly minSamples: number;
      readonly minDurationMs: number;
      readonly gates: CanaryGatesDef;
      readonly salt: string;
    }
  | {
      readonly policy: 'shadow';
      readonly primary: string;
      readonly shadow: string;
      readonly fraction: number;
      readonly tolerance: number;
      readonly maxConcurrent: number;
      readonly timeoutMs: number;
      readonly salt: string;
    }
  | {
      readonly policy: 'bandit';
      readonly algorithm: 'thompson' | 'ucb1' | 'epsilonGreedy';
      readonly reward: OutcomeSpecDef;
      readonly epsilon: number;
      readonly floor: number;
    };

interface VersionBase {
  readonly name: string;
  /** sha256 of the version's content: the model file bytes, or the canonical JSON of its parameters. */
  readonly sha256: string;
  readonly description: string | undefined;
}

export type OnnxElementType = 'float32' | 'float64' | 'int64' | 'int32' | 'string' | 'bool';

/** One model input tensor fed from one value ([N,1]) or a list of values ([N,k]). */
export interface OnnxInputBinding {
  readonly tensor: string;
  readonly refs: readonly Ref[];
  readonly elementType: OnnxElementType;
  /** The rank the model declares (1 means [N], 2 means [N,k]). */
  readonly rank: number;
}

export interface OnnxOutputBinding {
  readonly output: string;
  readonly tensor: string;
  /** The column of a 2-D output; undefined reads a [N] or [N,1] tensor. */
  readonly column: number | undefined;
}

export interface ModelArtifact {
  /** As written in the pipeline file. */
  readonly path: string;
  readonly absolutePath: string;
  readonly sha256: string;
  readonly signature: OnnxSignature;
  /** Set when a ZipMap was rewritten into a probability tensor at load time. */
  readonly rewrittenZipMap: boolean;
  readonly session: ModelSession;
}

/** An open model: an onnxruntime session on the main thread, or one in a worker thread. */
export interface ModelSession {
  run(feeds: Record<string, Tensor>, fetches: readonly string[]): Promise<InferenceSession.OnnxValueMapType>;
  release(): Promise<void>;
}

export interface OnnxVersionDef extends VersionBase {
  readonly model: ModelArtifact;
  readonly session: SessionOptionsDef;
  readonly inputs: readonly OnnxInputBinding[];
  readonly outputs: readonly OnnxOutputBinding[];
}

/** A compiled CEL program: evaluates against `input` and upstream node outputs. */
export interface CelProgram {
  readonly source: string;
  readonly resultType: ValueType;
  evaluate(variables: Readonly<Record<string, unknown>>): unknown;
}

export interface ExpressionVersionDef extends VersionBase {
  readonly program: CelProgram;
}

export interface ComponentDef {
  readonly name: string;
  readonly ref: Ref;
  readonly weight: number;
  readonly transform: ComponentTransform;
  readonly reference: number;
  readonly reasonCode: string;
  readonly reasonDescription: string | undefined;
}

export interface ScorecardDef {
  readonly baseScore: number;
  readonly baseOdds: number;
  readonly pointsToDoubleOdds: number;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly round: boolean;
}

export interface CombinerVersionDef extends VersionBase {
  readonly method: CombinerMethod;
  readonly components: readonly ComponentDef[];
  readonly intercept: number;
  readonly scorecard: ScorecardDef | undefined;
  readonly topReasons: number;
  readonly higherIsBetter: boolean;
}

export interface SwitchVersionDef extends VersionBase {
  readonly cases: readonly { readonly when: CelProgram; readonly then: string }[];
  readonly default: string;
}

/** What happens when a node is slow or fails. */
export interface ExecutionDef {
  /** Past this, the node times out (NODE_TIMEOUT) and the fallback answers, if declared. */
  readonly timeoutMs: number | undefined;
  readonly fallback:
    | { readonly kind: 'version'; readonly version: string }
    | { readonly kind: 'value'; readonly outputs: Readonly<Record<string, Value>> }
    | undefined;
}

/** onnxruntime session options of a model version, defaults filled in. */
export interface SessionOptionsDef {
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly executionMode: 'sequential' | 'parallel';
  readonly graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  /** Where runs execute: the main thread, or a worker thread of the session's own. */
  readonly thread: 'main' | 'worker';
}

interface NodeBase<K extends string, V extends VersionBase> {
  readonly id: string;
  readonly kind: K;
  readonly description: string | undefined;
  /** Nodes this one reads, in first-use order (for a switch: the condition inputs only). */
  readonly dependencies: readonly string[];
  /** Input fields this one reads directly. */
  readonly inputFields: readonly string[];
  readonly outputs: readonly OutputDef[];
  readonly versions: readonly V[];
  readonly routing: RoutingDef;
  readonly execution: ExecutionDef;
}

export type OnnxNodeDef = NodeBase<'onnx', OnnxVersionDef> & {
  /** Cross-request batching: most rows per run, and how long to wait for more (undefined: no wait). */
  readonly batch: { readonly maxSize: number; readonly maxWaitMs: number | undefined };
  /** Model runs in flight at once, per version. */
  readonly concurrency: number;
};
export type ExpressionNodeDef = NodeBase<'expression', ExpressionVersionDef>;
export type CombinerNodeDef = NodeBase<'combiner', CombinerVersionDef>;
export type SwitchNodeDef = NodeBase<'switch', SwitchVersionDef> & {
  /** The branch nodes, in case order then default; only the chosen one runs. */
  readonly branches: readonly string[];
};

export type NodeDef = OnnxNodeDef | ExpressionNodeDef | CombinerNodeDef | SwitchNodeDef;
export type NodeKind = NodeDef['kind'];
export type VersionDef = NodeDef['versions'][number];

/** A pipeline that passed every check, with its models loaded. */
export interface PipelineDefinition {
  readonly name: string;
  readonly description: string | undefined;
  /** Absolute path of the pipeline file. */
  readonly file: string;
  readonly routingKey: string;
  readonly input: readonly InputFieldDef[];
  readonly enums: readonly { readonly name: string; readonly values: readonly string[] }[];
  /** In a topological order: every node after the nodes it reads. */
  readonly nodes: readonly NodeDef[];
  readonly outputs: readonly { readonly name: string; readonly ref: Ref; readonly type: ValueType }[];
}

export const FLOAT: ValueType = { kind: 'scalar', name: 'Float' };
export const INT: ValueType = { kind: 'scalar', name: 'Int' };
export const STRING: ValueType = { kind: 'scalar', name: 'String' };
export const BOOLEAN: ValueType = { kind: 'scalar', name: 'Boolean' };
export const REASONS: ValueType = { kind: 'list', of: { kind: 'object', name: 'ReasonCode' } };
export const CONTRIBUTIONS: ValueType = { kind: 'list', of: { kind: 'object', name: 'Contribution' } };

/** `Float`, `[Float]`, `Employment`: the GraphQL spelling, used in messages too. */
export function typeToString(type: ValueType): string {
  return type.kind === 'list' ? `[${typeToString(type.of)}]` : type.name;
}

export function sameType(a: ValueType, b: ValueType): boolean {
  return typeToString(a) === typeToString(b);
}

/** `input.age` or `score.value`. */
export function refToString(ref: Ref): string {
  return ref.source === 'input' ? `input.${ref.field}` : `${ref.node}.${ref.output}`;
}
