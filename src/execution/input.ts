import { didYouMean } from '../errors/index.js';
import type { InputFieldDef, Value } from '../definition/types.js';

/** One broken rule of one input field. */
export interface InputProblem {
  readonly field: string;
  /** `required`, `type`, `min`, `max`, `enum` or `unknown`. */
  readonly rule: 'required' | 'type' | 'min' | 'max' | 'enum' | 'unknown';
  readonly message: string;
  readonly received?: unknown;
  readonly limit?: number;
}

export type InputResult =
  | { readonly ok: true; readonly value: Readonly<Record<string, Value>> }
  | { readonly ok: false; readonly problems: readonly InputProblem[] };

/**
 * Checks and completes one request input: types, enums, ranges, defaults, unknown fields.
 * `text` mode reads every value from a string (CSV cells); an empty cell counts as absent.
 */
export function coerceInput(fields: readonly InputFieldDef[], raw: Readonly<Record<string, unknown>>, mode: 'json' | 'text' = 'json'): InputResult {
  const problems: InputProblem[] = [];
  const value: Record<string, Value> = {};
  const names = namesOf(fields);
  for (const key in raw) {
    if (!names.has(key)) {
      problems.push({ field: key, rule: 'unknown', message: `Unknown input field "${key}".${didYouMean(key, [...names])}`, received: raw[key] });
    }
  }
  for (const field of fields) {
    let given = raw[field.name];
    if (mode === 'text' && given === '') given = undefined;
    if (given === undefined || given === null) {
      if (field.default !== undefined) value[field.name] = field.default;
      else problems.push({ field: field.name, rule: 'required', message: `Input field "${field.name}" is required.` });
      continue;
    }
    const coerced = coerceValue(field, given, mode);
    if ('problem' in coerced) {
      problems.push(coerced.problem);
      continue;
    }
    const range = rangeProblem(field, coerced.value);
    if (range) problems.push(range);
    else value[field.name] = coerced.value;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

const fieldNames = new WeakMap<readonly InputFieldDef[], ReadonlySet<string>>();

function namesOf(fields: readonly InputFieldDef[]): ReadonlySet<string> {
  let names = fieldNames.get(fields);
  if (!names) fieldNames.set(fields, (names = new Set(fields.map((f) => f.name))));
  return names;
}

/** A decimal number as text: optional sign, digits with an optional fraction, an optional exponent. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function wrongType(field: InputFieldDef, given: unknown, expected: string): { problem: InputProblem } {
  // JSON.stringify would show a number too large for a double (1e400 reads as Infinity) as "null".
  const shown = typeof given === 'number' && !Number.isFinite(given) ? String(given) : JSON.stringify(given);
  return { problem: { field: field.name, rule: 'type', message: `Input field "${field.name}" must be ${expected}; got ${shown}.`, received: given } };
}

function coerceValue(field: InputFieldDef, given: unknown, mode: 'json' | 'text'): { value: Value } | { problem: InputProblem } {
  const type = field.type;
  if (type.kind === 'enum') {
    if (typeof given === 'string' && type.values.includes(given)) return { value: given };
    return {
      problem: {
        field: field.name,
        rule: 'enum',
        message: `Input field "${field.name}" must be one of ${type.values.join(', ')}; got ${JSON.stringify(given)}.${didYouMean(String(given), type.values)}`,
        received: given,
      },
    };
  }
  if (type.kind !== 'scalar') return wrongType(field, given, 'a scalar');
  const text = mode === 'text' && typeof given === 'string' ? given.trim() : undefined;
  switch (type.name) {
    case 'Float': {
      // A decimal number only: Number() would also read "0x10" as 16, "0b11" as 3 and "Infinity".
      const number = text !== undefined ? (DECIMAL.test(text) ? Number(text) : Number.NaN) : given;
      return typeof number === 'number' && Number.isFinite(number) ? { value: number } : wrongType(field, given, 'a finite number (Float)');
    }
    case 'Int': {
      const number = text !== undefined ? (/^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN) : given;
      return typeof number === 'number' && Number.isInteger(number) && number >= -2147483648 && number <= 2147483647 ? { value: number || 0 } : wrongType(field, given, 'a 32-bit integer (Int)');
    }
    case 'Boolean': {
      if (typeof given === 'boolean') return { value: given };
      if (text !== undefined && /^(true|false|1|0)$/i.test(text)) return { value: /^(true|1)$/i.test(text) };
      return wrongType(field, given, 'true or false (Boolean)');
    }
    case 'ID':
      // Past 2^53 a JSON number has already lost digits (two ids can read as one): it must be quoted.
      if (typeof given === 'number' && Number.isSafeInteger(given)) return { value: String(given || 0) };
      return typeof given === 'string' ? { value: given } : wrongType(field, given, 'a string, or an integer within ±2^53 (ID; quote a longer one, which a JSON number cannot hold exactly)');
    case 'String':
      return typeof given === 'string' ? { value: given } : wrongType(field, given, 'a string');
  }
}

function rangeProblem(field: InputFieldDef, value: Value): InputProblem | undefined {
  if (typeof value !== 'number') return undefined;
  if (field.min !== undefined && value < field.min) {
    return { field: field.name, rule: 'min', message: `Input field "${field.name}" must be at least ${field.min}; got ${value}.`, received: value, limit: field.min };
  }
  if (field.max !== undefined && value > field.max) {
    return { field: field.name, rule: 'max', message: `Input field "${field.name}" must be at most ${field.max}; got ${value}.`, received: value, limit: field.max };
  }
  return undefined;
}
