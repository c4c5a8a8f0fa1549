/**
 * CEL (Common Expression Language) through @marcbachmann/cel-js: parsing for references, type
 * checking against the pipeline's value types at load time, and evaluation at request time.
 */
import { parse } from '@marcbachmann/cel-js';
import { celEnvironment } from './math.js';
import { celTypeName, isAstNode, type AstNode, type CelScope } from './ast.js';
import { directProgram } from './direct.js';

export type { CelScope };
import { BOOLEAN, FLOAT, INT, STRING, typeToString, type CelProgram, type Value, type ValueType } from '../../definition/types.js';

/** A `name` or `name.field` that an expression reads, with its offset in the source. */
export interface CelReference {
  readonly name: string;
  /** Undefined when the whole variable is used (e.g. passed to a function). */
  readonly field: string | undefined;
  readonly offset: number;
}

export type CelParseResult = { readonly ok: true; readonly references: readonly CelReference[] } | { readonly ok: false; readonly message: string };

/** Parses without types, to find which variables and fields the expression reads. */
export function parseCel(source: string): CelParseResult {
  try {
    const program = parse(source);
    const references: CelReference[] = [];
    collectReferences(program.ast as unknown as AstNode, references);
    return { ok: true, references };
  } catch (error) {
    return { ok: false, message: celMessage(error) };
  }
}

function collectReferences(node: unknown, out: CelReference[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collectReferences(item, out);
    return;
  }
  if (!isAstNode(node)) return;
  if (node.op === 'id') {
    out.push({ name: String(node.args), field: undefined, offset: node.pos ?? 0 });
    return;
  }
  if (node.op === '.' && Array.isArray(node.args)) {
    const [target, field] = node.args as [unknown, unknown];
    if (isAstNode(target) && target.op === 'id' && typeof field === 'string') {
      out.push({ name: String(target.args), field, offset: target.pos ?? 0 });
      return;
    }
  }
  collectReferences(node.args, out);
}

export type CelCompileResult = { readonly ok: true; readonly program: CelProgram } | { readonly ok: false; readonly message: string };

/**
 * Type-checks `source` against `scope` and returns a program whose result type is known. Values go
 * in as Tessera values (Int as number) and come out the same way; the BigInt that CEL uses for
 * `int` stays inside. An expression on doubles, strings and bools only is evaluated directly
 * (`direct.ts`) unless `direct` is false; any other by cel-js.
 */
export function compileCel(source: string, scope: CelScope, options: { readonly direct?: boolean } = {}): CelCompileResult {
  const env = celEnvironment();
  // A variable the expression uses whole (`dyn(up)`, a comprehension over it) gets its fields as
  // own properties, which is what cel-js enumerates; one it only reads fields of gets a view.
  const parsed = parseCel(source);
  const whole = new Set(parsed.ok ? parsed.references.filter((ref) => ref.field === undefined).map((ref) => ref.name) : scope.keys());
  const converters: [string, (record: Readonly<Record<string, Value>>) => unknown][] = [];
  // Variables with the same fields share one record type: registered once.
  const registered = new Set<string>();
  for (const [name, fields] of scope) {
    const record = recordType(fields);
    if (!registered.has(record.typeName)) {
      env.registerType(record.typeName, { ctor: record.ctor, fields: record.schema });
      registered.add(record.typeName);
    }
    env.registerVariable(name, record.typeName);
    converters.push([name, whole.has(name) ? record.copy : record.view]);
  }
  let checked: { valid: boolean; type?: unknown; error?: unknown };
  try {
    checked = env.check(source) as typeof checked;
  } catch (error) {
    return { ok: false, message: celMessage(error) };
  }
  if (!checked.valid) return { ok: false, message: celMessage(checked.error) };
  const resultType = valueTypeOfCel(String(checked.type));
  if (!resultType) {
    return { ok: false, message: `its result type is ${String(checked.type)}; an expression must return double, int, string, bool or a list of them` };
  }
  const evaluate = env.parse(source);
  const fromCel = valueConverter(resultType);
  // Doubles, strings and bools only: evaluated by closures instead of cel-js's interpreter.
  const direct = options.direct === false ? undefined : directProgram(evaluate.ast, scope);
  return {
    ok: true,
    program: {
      source,
      resultType,
      evaluate: direct
        ? (variables) => fromCel(direct(variables))
        : (variables) => {
            const context: Record<string, unknown> = {};
            for (const [name, convert] of converters) {
              const value = variables[name];
              if (value !== undefined) context[name] = convert(value as Readonly<Record<string, Value>>);
            }
            return fromCel(evaluate(context));
          },
    },
  };
}

function valueTypeOfCel(celType: string): ValueType | undefined {
  switch (celType) {
    case 'double':
      return FLOAT;
    case 'int':
    case 'uint':
      return INT;
    case 'string':
      return STRING;
    case 'bool':
      return BOOLEAN;
  }
  const list = /^list<(.+)>$/.exec(celType);
  const of = list ? valueTypeOfCel(list[1] as string) : undefined;
  return of && of.kind === 'scalar' ? { kind: 'list', of } : undefined;
}

/** A CEL message type for records of some fields: its class, and two ways to pass a record as one. */
interface RecordType {
  readonly typeName: string;
  readonly schema: Readonly<Record<string, string>>;
  /** The class CEL knows the type by (cel-js finds a value's type by its constructor). */
  readonly ctor: new () => object;
  /** The record behind getters: a field is converted only when it is read. */
  view(record: Readonly<Record<string, Value>>): object;
  /** The record's fields as own properties, converted at once: for expressions that use it whole. */
  copy(record: Readonly<Record<string, Value>>): object;
}

const recordTypes = new Map<string, RecordType>();

/** Where a view keeps its record: a symbol, so that no field name can collide with it. */
const RECORD = Symbol('record');

/**
 * The CEL type of a record (the input, or a node's outputs). A record is passed as an instance of a
 * class whose prototype has a getter per field: the instance is one small object around the record,
 * and a field is converted only when an expression reads it (CEL's `int` is a BigInt where
 * Tessera's Int is a number). cel-js enumerates a message's own properties when an expression
 * iterates over it, so an expression that uses a record whole gets a copy with own properties
 * instead. Types are shared by every expression with the same fields.
 */
function recordType(fields: ReadonlyMap<string, ValueType>): RecordType {
  const schema: Record<string, string> = {};
  for (const [field, type] of fields) schema[field] = celTypeName(type);
  const signature = JSON.stringify(schema);
  const known = recordTypes.get(signature);
  if (known) return known;
  const ints = new Set([...fields].filter(([, type]) => type.kind === 'scalar' && type.name === 'Int').map(([name]) => name));
  const toCel = (name: string, value: Value | undefined): unknown => (ints.has(name) && typeof value === 'number' ? BigInt(value) : value);
  class TesseraRecord {
    readonly [RECORD]: Readonly<Record<string, Value>>;

    constructor(record: Readonly<Record<string, Value>> = {}) {
      this[RECORD] = record;
    }
  }
  for (const name of fields.keys()) {
    Object.defineProperty(TesseraRecord.prototype, name, {
      enumerable: true,
      get(this: TesseraRecord) {
        return toCel(name, this[RECORD][name]);
      },
    });
  }
  const created: RecordType = {
    typeName: `TesseraRecord${recordTypes.size}`,
    schema,
    ctor: TesseraRecord,
    view: (record) => new TesseraRecord(record),
    copy(record) {
      const instance = Object.create(TesseraRecord.prototype) as object;
      for (const name of fields.keys()) Object.defineProperty(instance, name, { value: toCel(name, record[name]), enumerable: true, writable: true, configurable: true });
      return instance;
    },
  };
  recordTypes.set(signature, created);
  return created;
}

function valueConverter(type: ValueType): (value: unknown) => Value {
  if (type.kind === 'list') {
    const item = valueConverter(type.of);
    return (value) => {
      if (!Array.isArray(value)) throw new TypeError(`expected a list, got ${typeof value}`);
      return value.map(item);
    };
  }
  const name = typeToString(type);
  const int = (value: bigint | number): number => {
    if (value > 2147483647 || value < -2147483648) throw new RangeError(`result ${value} does not fit a 32-bit Int`);
    // An int has no -0 (the direct evaluation's ints are numbers).
    return Number(value) || 0;
  };
  return (result) => {
    // cel-js gives a uint as an object whose valueOf is a BigInt.
    const value = typeof result === 'object' && result !== null && !Array.isArray(result) ? (result as { valueOf(): unknown }).valueOf() : result;
    if (typeof value === 'bigint') {
      if (name !== 'Int') throw new TypeError(`expected ${name}, got int`);
      return int(value);
    }
    if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`result is ${value}, not a finite number`);
    return (name === 'Int' ? int(value as number) : value) as Value;
  };
}

/** The first line of a CEL error, without its source excerpt. */
export function celMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() ?? message;
}
