/**
 * Checks a parsed document against the published JSON Schema (the subset `format.ts` uses) and
 * reports every mismatch with its path and a message that says what was expected, what arrived
 * and, for unknown keys and kinds, what was probably meant.
 */
import { didYouMean, type PipelineProblem } from '../errors/index.js';
import type { DocPath, PipelineSource } from './source.js';

interface Schema {
  readonly type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly patternProperties?: Readonly<Record<string, Schema>>;
  readonly minProperties?: number;
  readonly items?: Schema;
  readonly minItems?: number;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly minimum?: number;
  readonly exclusiveMinimum?: number;
  readonly maximum?: number;
  readonly exclusiveMaximum?: number;
  readonly const?: unknown;
  readonly anyOf?: readonly Schema[];
}

const NAME_PATTERN = '^[_A-Za-z][_0-9A-Za-z]*$';

/** Every shape problem of `source.value` against `schema`; an empty list means the shape is right. */
export function checkShape(schema: unknown, source: PipelineSource): PipelineProblem[] {
  const problems: PipelineProblem[] = [];
  const report = (path: DocPath, message: string, key = false) => problems.push(source.problem('shape', path, message, { key }));
  visit(schema as Schema, source.value, [], report);
  return problems;
}

type Report = (path: DocPath, message: string, key?: boolean) => void;

function visit(schema: Schema, value: unknown, path: DocPath, report: Report): void {
  if (schema.anyOf) return visitUnion(schema.anyOf, value, path, report);
  if (schema.const !== undefined) {
    if (value !== schema.const) report(path, `Expected ${JSON.stringify(schema.const)}, got ${describe(value)}.`);
    return;
  }
  switch (schema.type) {
    case 'object':
      return visitObject(schema, value, path, report);
    case 'array':
      if (!Array.isArray(value)) return report(path, `Expected a list, got ${describe(value)}.`);
      if (schema.minItems !== undefined && value.length < schema.minItems) {
        report(path, `Expected at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}, got ${value.length}.`);
      }
      value.forEach((item, index) => schema.items && visit(schema.items, item, [...path, index], report));
      return;
    case 'string':
      if (typeof value !== 'string') return report(path, `Expected a string, got ${describe(value)}.`);
      if (schema.minLength !== undefined && value.length < schema.minLength) return report(path, 'Expected a non-empty string.');
      if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) report(path, patternMessage(schema.pattern, value));
      return;
    case 'number':
    case 'integer': {
      const integer = schema.type === 'integer';
      if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
        return report(path, `Expected ${integer ? 'an integer' : 'a number'}, got ${describe(value)}.`);
      }
      if (schema.minimum !== undefined && value < schema.minimum) report(path, `Expected a number ≥ ${schema.minimum}, got ${value}.`);
      if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
        report(path, `Expected a number > ${schema.exclusiveMinimum}, got ${value}.`);
      }
      if (schema.maximum !== undefined && value > schema.maximum) report(path, `Expected a number ≤ ${schema.maximum}, got ${value}.`);
      if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) {
        report(path, `Expected a number < ${schema.exclusiveMaximum}, got ${value}.`);
      }
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') report(path, `Expected true or false, got ${describe(value)}.`);
      return;
    case undefined:
      return;
  }
}

function visitObject(schema: Schema, value: unknown, path: DocPath, report: Report): void {
  if (!isPlainObject(value)) return report(path, `Expected a map, got ${describe(value)}.`);
  const properties = schema.properties ?? {};
  const known = Object.keys(properties);
  const keys = Object.keys(value);
  for (const key of keys) {
    const keyPath = [...path, key];
    const property = properties[key];
    if (property) {
      visit(property, value[key], keyPath, report);
      continue;
    }
    const patterned = Object.entries(schema.patternProperties ?? {});
    const match = patterned.find(([pattern]) => new RegExp(pattern).test(key));
    if (match) {
      visit(match[1], value[key], keyPath, report);
    } else if (patterned.length > 0) {
      report(keyPath, patternMessage(patterned[0]?.[0] ?? NAME_PATTERN, key), true);
    } else if (schema.additionalProperties === false) {
      report(keyPath, `Unknown key "${key}". Expected one of: ${known.join(', ')}.${didYouMean(key, known)}`, true);
    }
  }
  for (const required of schema.required ?? []) {
    if (!(required in value)) report(path, `Missing required key "${required}".`);
  }
  if (schema.minProperties !== undefined && keys.length < schema.minProperties) {
    report(path, `Expected at least ${schema.minProperties} entr${schema.minProperties === 1 ? 'y' : 'ies'}, got none.`);
  }
}

function visitUnion(options: readonly Schema[], value: unknown, path: DocPath, report: Report): void {
  const discriminator = findDiscriminator(options);
  if (discriminator && isPlainObject(value)) {
    const tags = options.map((option) => String(option.properties?.[discriminator]?.const));
    const tag = value[discriminator];
    const index = tags.indexOf(String(tag));
    if (tag === undefined) return report(path, `Missing required key "${discriminator}": one of ${tags.join(', ')}.`);
    if (index < 0 || typeof tag !== 'string') {
      return report(
        [...path, discriminator],
        `Unknown ${discriminator} ${JSON.stringify(tag)}. Expected one of: ${tags.join(', ')}.${didYouMean(String(tag), tags)}`,
      );
    }
    return visit(options[index] as Schema, value, path, report);
  }
  if (options.every((option) => option.const !== undefined)) {
    const allowed = options.map((option) => String(option.const));
    if (!allowed.includes(value as string)) {
      report(path, `Expected one of: ${allowed.join(', ')}; got ${describe(value)}.${didYouMean(String(value), allowed)}`);
    }
    return;
  }
  const matching = options.filter((option) => typeMatches(option, value));
  if (matching.length === 0) {
    const expected = [...new Set(options.map((option) => typeName(option)))].join(' or ');
    return report(path, `Expected ${expected}, got ${describe(value)}.`);
  }
  visit(matching[0] as Schema, value, path, report);
}

function findDiscriminator(options: readonly Schema[]): string | undefined {
  const first = options[0];
  if (!first?.properties || options.length < 2) return undefined;
  return Object.keys(first.properties).find((key) =>
    options.every((option) => option.type === 'object' && option.properties?.[key]?.const !== undefined),
  );
}

function typeMatches(schema: Schema, value: unknown): boolean {
  switch (schema.type) {
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

function typeName(schema: Schema): string {
  switch (schema.type) {
    case 'object':
      return 'a map';
    case 'array':
      return 'a list';
    case 'integer':
      return 'an integer';
    case undefined:
      return 'a value';
    default:
      return `a ${schema.type}`;
  }
}

function patternMessage(pattern: string, value: string): string {
  if (pattern === NAME_PATTERN) {
    return `"${value}" is not a valid name: use letters, digits and underscores, not starting with a digit (GraphQL naming rules).`;
  }
  if (pattern.includes('\\.')) {
    return `Expected a reference "input.<field>" or "<node>.<output>", got "${value}".`;
  }
  if (pattern === '^[0-9a-f]{64}$') return `Expected a sha256 as 64 lowercase hex digits, got "${value}".`;
  return `"${value}" does not match ${pattern}.`;
}

/** A short description of what arrived, for "Expected X, got Y" messages. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  return String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
