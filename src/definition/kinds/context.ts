import { createHash } from 'node:crypto';
import { didYouMean } from '../../errors/index.js';
import type { RoutingFile, SessionOptionsFile } from '../format.js';
import { parseRef } from '../references.js';
import type { DocPath } from '../source.js';
import type { ModelLoadResult } from '../models.js';
import { typeToString, type ExecutionDef, type OutputDef, type Ref, type RoutingDef, type SessionOptionsDef, type ValueType } from '../types.js';

/**
 * What a node kind's compiler sees: the types of the input and of every node compiled so far (the
 * nodes are compiled in topological order), the loaded models, and a way to report.
 */
export interface CompileContext {
  readonly pipeline: string;
  readonly inputTypes: ReadonlyMap<string, ValueType>;
  /** Output types of the nodes compiled so far. */
  readonly outputTypes: ReadonlyMap<string, ReadonlyMap<string, ValueType>>;
  /** Nodes that failed to compile: references to them are not reported again. */
  readonly failed: ReadonlySet<string>;
  /** Every node id in the file, compiled or not: for suggestions, and to tell a node that could not be compiled (a cycle, itself) from a name that does not exist. */
  readonly nodeIds: ReadonlySet<string>;
  /** Models by the path written in the file. */
  readonly models: ReadonlyMap<string, ModelLoadResult>;
  report(rule: string, path: DocPath, message: string, options?: { key?: boolean }): void;
}

export interface ResolvedRef {
  readonly ref: Ref;
  readonly type: ValueType;
}

/**
 * Resolves `input.x` or `node.output` to its type. Unknown outputs are reported with a
 * suggestion; references to nodes that failed to compile resolve to undefined silently.
 */
export function resolveRef(context: CompileContext, owner: string, text: string, path: DocPath): ResolvedRef | undefined {
  const target = parseRef(text);
  if (target.source === 'input') {
    const type = context.inputTypes.get(target.field);
    return type && { ref: { source: 'input', field: target.field }, type };
  }
  const outputs = context.outputTypes.get(target.node);
  if (!outputs) return undefined;
  const output = target.output ?? '';
  const type = outputs.get(output);
  if (!type) {
    const names = [...outputs.keys()];
    context.report('references', path, `${owner} reads "${text}", but node "${target.node}" has no output "${output}". Its outputs: ${names.join(', ')}.${didYouMean(output, names)}`);
    return undefined;
  }
  return { ref: { source: 'node', node: target.node, output }, type };
}

/** What a node reads: upstream nodes and input fields, in first-use order. */
export class Reads {
  readonly nodes = new Set<string>();
  readonly inputFields = new Set<string>();

  add(ref: Ref): void {
    if (ref.source === 'node') this.nodes.add(ref.node);
    else this.inputFields.add(ref.field);
  }

  /** The `dependencies` and `inputFields` of a node definition. */
  toDef(): { dependencies: string[]; inputFields: string[] } {
    return { dependencies: [...this.nodes], inputFields: [...this.inputFields] };
  }
}

/** The reads of a list of references. */
export function readsOf(refs: readonly Ref[]): { dependencies: string[]; inputFields: string[] } {
  const reads = new Reads();
  for (const ref of refs) reads.add(ref);
  return reads.toDef();
}

/** Whether a value of type `from` may feed a numeric slot (Float accepts Int and Boolean). */
export function isNumeric(type: ValueType): boolean {
  return type.kind === 'scalar' && (type.name === 'Float' || type.name === 'Int' || type.name === 'Boolean');
}

/** "Float", "[Float]", "enum Employment": for messages. */
export function describeType(type: ValueType): string {
  return type.kind === 'enum' ? `enum ${type.name}` : typeToString(type);
}

/**
 * The compiled routing policy of a node, defaults filled in; validity was checked by the routing
 * rule. `outputs` are the node's Float outputs, the first of which a canary's drift gate compares.
 */
export function compileRouting(
  pipeline: string,
  node: string,
  routing: RoutingFile | undefined,
  versions: readonly string[],
  outputs: readonly OutputDef[] = [],
): RoutingDef {
  const first = versions[0] as string;
  const salt = (routing && 'salt' in routing ? routing.salt : undefined) ?? `${pipeline}.${node}`;
  if (!routing) return { policy: 'fixed', version: first };
  switch (routing.policy) {
    case 'fixed':
      return { policy: 'fixed', version: routing.version ?? first };
    case 'split':
      return {
        policy: 'split',
        // Declared version order, not weight-map order: ranges on the hash line stay put when weights change.
        weights: versions.map((version) => ({ version, weight: routing.weights[version] ?? 0 })),
        control: routing.control ?? first,
        outcome: routing.outcome,
        alpha: routing.alpha ?? 0.05,
        salt,
      };
    case 'canary': {
      const gates = routing.gates ?? {};
      const firstFloat = outputs.find((o) => o.type.kind === 'scalar' && (o.type.name === 'Float' || o.type.name === 'Int'));
      const drift = gates.drift === false ? undefined : (gates.drift ?? {});
      const driftOutput = drift?.output ?? firstFloat?.name;
      return {
        policy: 'canary',
        stable: routing.stable,
        candidate: routing.candidate,
        steps: (routing.steps ?? [5, 25, 50, 100]).map((step) => step / 100),
        minSamples: routing.minSamples ?? 500,
        minDurationMs: parseDuration(routing.minDuration ?? '1m'),
        gates: {
          errorRate: gates.errorRate === false ? undefined : { maxIncrease: gates.errorRate?.maxIncrease ?? 0.005, alpha: gates.errorRate?.alpha ?? 0.001 },
          latency: gates.latency === false ? undefined : { maxP99Ratio: gates.latency?.maxP99Ratio ?? 1.5 },
          drift: drift && driftOutput ? { output: driftOutput, alpha: drift.alpha ?? 0.001, minPsi: drift.minPsi ?? 0.05, minKs: drift.minKs ?? 0.1 } : undefined,
          outcome: gates.outcome && { kind: gates.outcome.kind, better: gates.outcome.better, alpha: gates.outcome.alpha ?? 0.001, minSamples: gates.outcome.minSamples ?? 1000 },
        },
        salt,
      };
    }
    case 'shadow':
      return {
        policy: 'shadow',
        primary: routing.primary,
        shadow: routing.shadow,
        fraction: routing.fraction ?? 1,
        tolerance: routing.tolerance ?? 0.01,
        maxConcurrent: routing.maxConcurrent ?? 64,
        timeoutMs: parseDuration(routing.timeout ?? '1s'),
        salt,
      };
    case 'bandit':
      return { policy: 'bandit', algorithm: routing.algorithm ?? 'thompson', reward: routing.reward, epsilon: routing.epsilon ?? 0.1, floor: routing.floor ?? 0.01 };
  }
}

/** `250ms`, `30s`, `10m`, `2h` → milliseconds (the shape check guarantees the form). */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`Invariant violation: duration "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/** Timeout and fallback of a node; the fallback must name a version or give every output, well typed. */
export function compileExecution(
  context: CompileContext,
  id: string,
  node: { readonly timeout?: string; readonly fallback?: { readonly version?: string; readonly value?: Readonly<Record<string, string | number | boolean>> } },
  outputs: readonly OutputDef[],
  versions: readonly string[],
): ExecutionDef {
  const timeoutMs = node.timeout === undefined ? undefined : parseDuration(node.timeout);
  const fallback = node.fallback;
  const path = ['nodes', id, 'fallback'];
  if (!fallback) return { timeoutMs, fallback: undefined };
  if ((fallback.version === undefined) === (fallback.value === undefined)) {
    context.report('fallback', path, 'A fallback gives either "version" or "value", not both and not neither.');
    return { timeoutMs, fallback: undefined };
  }
  if (fallback.version !== undefined) {
    if (!versions.includes(fallback.version)) {
      context.report('fallback', [...path, 'version'], `Node "${id}" has no version "${fallback.version}". Declared versions: ${versions.join(', ')}.${didYouMean(fallback.version, versions)}`);
    }
    return { timeoutMs, fallback: { kind: 'version', version: fallback.version } };
  }
  const value = fallback.value as Readonly<Record<string, string | number | boolean>>;
  const names = outputs.map((o) => o.name);
  for (const output of outputs) {
    if (!(output.name in value)) context.report('fallback', [...path, 'value'], `The fallback value of node "${id}" needs output "${output.name}" (${typeToString(output.type)}).`);
  }
  for (const [name, given] of Object.entries(value)) {
    const output = outputs.find((o) => o.name === name);
    if (!output) {
      context.report('fallback', [...path, 'value', name], `Node "${id}" has no output "${name}". Its outputs: ${names.join(', ')}.${didYouMean(name, names)}`, { key: true });
    } else if (!fits(output.type, given)) {
      context.report('fallback', [...path, 'value', name], `The fallback for output "${name}" must be ${typeToString(output.type)}; got ${JSON.stringify(given)}.`);
    }
  }
  return { timeoutMs, fallback: { kind: 'value', outputs: value } };
}

function fits(type: ValueType, value: string | number | boolean): boolean {
  if (type.kind === 'enum') return typeof value === 'string' && type.values.includes(value);
  if (type.kind !== 'scalar') return false;
  switch (type.name) {
    case 'Float':
      return typeof value === 'number';
    case 'Int':
      return typeof value === 'number' && Number.isInteger(value);
    case 'Boolean':
      return typeof value === 'boolean';
    default:
      return typeof value === 'string';
  }
}

/** Session options of a version: its own, else the node's, else the defaults for this machine. */
export function compileSession(node: SessionOptionsFile | undefined, version: SessionOptionsFile | undefined): SessionOptionsDef {
  return {
    intraOpThreads: version?.intraOpThreads ?? node?.intraOpThreads ?? 1,
    interOpThreads: version?.interOpThreads ?? node?.interOpThreads ?? 1,
    executionMode: version?.executionMode ?? node?.executionMode ?? 'sequential',
    graphOptimizationLevel: version?.graphOptimizationLevel ?? node?.graphOptimizationLevel ?? 'all',
    thread: version?.thread ?? node?.thread ?? 'main',
  };
}

/** sha256 of a canonical JSON rendering: the identity of a version that has no file. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
