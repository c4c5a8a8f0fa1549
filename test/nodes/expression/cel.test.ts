import { describe, expect, it } from 'vitest';
import { BOOLEAN, FLOAT, INT, STRING, type ValueType } from '../../../src/definition/types.js';
import { compileCel } from '../../../src/nodes/expression/cel.js';

const scope = new Map<string, ReadonlyMap<string, ValueType>>([
  ['input', new Map<string, ValueType>([['count', INT], ['income', FLOAT], ['name', STRING], ['flag', BOOLEAN]])],
  ['upstream', new Map<string, ValueType>([['value', FLOAT], ['tags', { kind: 'list', of: STRING }]])],
  ['named', new Map<string, ValueType>([['record', INT], ['label', STRING]])],
]);

function program(source: string) {
  const compiled = compileCel(source, scope);
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.program;
}

describe('CEL programs over Tessera records', () => {
  it('reads an Int field as a CEL int and gives an Int result back as a number', () => {
    const doubled = program('input.count * 2');
    expect(doubled.resultType).toEqual(INT);
    expect(doubled.evaluate({ input: { count: 21, income: 1, name: 'a', flag: true } })).toBe(42);
    // CEL has no implicit int → double: the int arrives as a BigInt, not as a number.
    expect(program('double(input.count) / 2.0').evaluate({ input: { count: 3, income: 0, name: '', flag: false } })).toBe(1.5);
  });

  it('reads every kind of field, from the input and from an upstream node', () => {
    const mixed = program('input.flag && input.name == "ann" && upstream.value > input.income && "vip" in upstream.tags');
    const input = { count: 1, income: 10, name: 'ann', flag: true };
    expect(mixed.evaluate({ input, upstream: { value: 11, tags: ['vip'] } })).toBe(true);
    expect(mixed.evaluate({ input, upstream: { value: 9, tags: ['vip'] } })).toBe(false);
    expect(mixed.evaluate({ input: { ...input, name: 'bob' }, upstream: { value: 11, tags: ['vip'] } })).toBe(false);
  });

  it('reads two upstream nodes with the same fields (one record type for both) and keeps them apart', () => {
    const same = new Map<string, ValueType>([['value', FLOAT]]);
    const compiled = compileCel('a.value - b.value', new Map([['input', new Map<string, ValueType>()], ['a', same], ['b', same]]));
    if (!compiled.ok) throw new Error(compiled.message);
    expect(compiled.program.evaluate({ input: {}, a: { value: 5 }, b: { value: 3 } })).toBe(2);
  });

  it('sees only the declared fields of a record, whatever else the object carries', () => {
    const records = program('has(input.count) && !has(input.income)');
    // A record without `income` (an output that was not produced) reads as absent.
    expect(records.evaluate({ input: { count: 1, name: 'a', flag: true, extra: 5 } })).toBe(true);
  });

  it('evaluates the same record for many expressions and many records without mixing them up', () => {
    const count = program('input.count + 1');
    const income = program('input.income * 2.0');
    const rows = Array.from({ length: 100 }, (_, i) => ({ count: i, income: i / 4, name: String(i), flag: i % 2 === 0 }));
    expect(rows.map((input) => [count.evaluate({ input }), income.evaluate({ input })])).toEqual(rows.map((r) => [r.count + 1, r.income * 2]));
  });

  it('reads a field called "record" (the name a view could have kept its record under)', () => {
    const named = { record: 3, label: 'c' };
    expect(program('named.record * 2').evaluate({ named })).toBe(6);
    expect(program('has(named.record) && named.label == "c"').evaluate({ named })).toBe(true);
  });

  it('iterates over a record used whole: its field names, as a map', () => {
    const upstream = { value: 2, tags: ['a'] };
    expect(program('dyn(upstream).exists(k, k == "value")').evaluate({ upstream })).toBe(true);
    expect(program('dyn(upstream).filter(k, true).size()').evaluate({ upstream })).toBe(2);
    expect(program('dyn(upstream).all(k, k in ["value", "tags"]) && upstream.value == 2.0').evaluate({ upstream })).toBe(true);
    // An Int field of a record used whole is still a CEL int.
    expect(program('dyn(named).exists(k, k == "record") && named.record + 1 == 4').evaluate({ named: { record: 3, label: '' } })).toBe(true);
  });
});
