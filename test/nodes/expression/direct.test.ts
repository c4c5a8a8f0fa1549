import fc from 'fast-check';
import { parse } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { BOOLEAN, FLOAT, INT, STRING, type ValueType } from '../../../src/definition/types.js';
import { compileCel, type CelScope } from '../../../src/nodes/expression/cel.js';
import { directProgram } from '../../../src/nodes/expression/direct.js';

const scope: CelScope = new Map<string, ReadonlyMap<string, ValueType>>([
  ['input', new Map<string, ValueType>([['x', FLOAT], ['y', FLOAT], ['n', INT], ['m', INT], ['s', STRING], ['b', BOOLEAN]])],
  ['up', new Map<string, ValueType>([['p', FLOAT], ['label', STRING], ['tags', { kind: 'list', of: STRING }]])],
]);

const direct = (source: string) => directProgram(parse(source).ast, scope) !== undefined;

/** The result of a program, or the fact that it threw. */
const outcome = (run: () => unknown) => {
  try {
    return { value: run() };
  } catch {
    return { threw: true };
  }
};

/** Random well-typed expressions of the kinds evaluated directly, built by type. */
const { double, int, str, bool } = fc.letrec<{ double: string; int: string; str: string; bool: string }>((tie) => ({
  double: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('input.x', 'input.y', 'up.p', '0.0', '-0.0', '1.5', '12.0', '1e308', '0.1'),
    fc.tuple(tie('double'), fc.constantFrom('+', '-', '*', '/'), tie('double')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('double').map((a) => `-(${a})`),
    fc.tuple(fc.constantFrom('least', 'greatest'), tie('double'), tie('double')).map(([f, a, b]) => `math.${f}(${a}, ${b})`),
    fc.tuple(fc.constantFrom('abs', 'floor', 'ceil', 'round', 'trunc', 'sqrt', 'log', 'exp', 'sigmoid'), tie('double')).map(([f, a]) => `math.${f}(${a})`),
    fc.tuple(tie('double'), tie('double'), tie('double')).map(([a, b, c]) => `math.clamp(${a}, ${b}, ${c})`),
    fc.tuple(tie('bool'), tie('double'), tie('double')).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
  ),
  int: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('input.n', 'input.m', '0', '12', '-3', '2147483647', '2147483648', '9007199254740993'),
    tie('int').map((a) => `-(${a})`),
    fc.tuple(tie('bool'), tie('int'), tie('int')).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
  ),
  str: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('input.s', 'up.label', '"A"', '""', '"é😀"'),
    fc.tuple(tie('str'), tie('str')).map(([a, b]) => `(${a} + ${b})`),
    fc.tuple(tie('bool'), tie('str'), tie('str')).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
  ),
  bool: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('input.b', 'true', 'false'),
    fc.tuple(tie('double'), fc.constantFrom('<', '<=', '>', '>=', '==', '!='), tie('double')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(tie('int'), fc.constantFrom('<', '<=', '>', '>=', '==', '!='), tie('int')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(tie('str'), fc.constantFrom('==', '!='), tie('str')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(tie('bool'), fc.constantFrom('&&', '||', '==', '!='), tie('bool')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('bool').map((a) => `!(${a})`),
  ),
}));

const double32 = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 1, 0.5, 12, -7.25));
const variables = fc.record({
  // input.x may be missing: CEL's && and || still decide when the other side settles it.
  input: fc.record(
    { x: double32, y: double32, n: fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), m: fc.constantFrom(0, -0, 12, -3, 2_147_483_647, -2_147_483_648), s: fc.constantFrom('', 'A', 'é😀', 'a'), b: fc.boolean() },
    { requiredKeys: ['y', 'n', 'm', 's', 'b'] },
  ),
  up: fc.record({ p: fc.oneof(double32, fc.constant(Number.NaN)), label: fc.constantFrom('A', '', 'é😀'), tags: fc.constant(['t']) }),
});

describe('direct evaluation of CEL', () => {
  it('gives what cel-js gives, value or error, for random expressions on doubles, ints, strings and bools', () => {
    fc.assert(
      fc.property(fc.oneof(double, str, bool, int), fc.array(variables, { minLength: 1, maxLength: 5 }), (source, values) => {
        const fast = compileCel(source, scope);
        const slow = compileCel(source, scope, { direct: false });
        expect(fast.ok).toBe(slow.ok);
        if (!fast.ok || !slow.ok) return;
        expect(direct(source), source).toBe(!source.includes('9007199254740993'));
        for (const vars of values) expect(outcome(() => fast.program.evaluate(vars)), source).toEqual(outcome(() => slow.program.evaluate(vars)));
      }),
      { numRuns: 3000 },
    );
  });

  it("evaluates the bundled pipeline's expressions directly, and leaves the rest to cel-js", () => {
    for (const source of ['input.x > 0.0 ? math.least(input.y * 12.0 / input.x, 5.0) : 5.0', 'up.p >= 760.0 ? "A" : up.p >= 700.0 ? "B" : "E"', 'input.n < 12']) {
      expect(direct(source), source).toBe(true);
    }
    for (const source of ['input.n + 1 > 2', 'double(input.n) / 2.0', '"t" in up.tags', 'up.tags.exists(t, t == "a")', 'input.s < "b"', 'size(input.s) > 0', 'input.x % 2.0 == 0.0', 'dyn(input).x > 1.0']) {
      expect(direct(source), source).toBe(false);
    }
  });

  it('range-checks an Int result, gives no -0 for one, and reads a uint result as a number', () => {
    const outcomes = (source: string, vars: Record<string, unknown>) =>
      [compileCel(source, scope), compileCel(source, scope, { direct: false })].map((compiled) => {
        if (!compiled.ok) throw new Error(compiled.message);
        return outcome(() => compiled.program.evaluate(vars));
      });
    const input = { x: 1, y: 1, n: -2_147_483_648, m: -0, s: '', b: true };
    expect(outcomes('-input.n', { input })).toEqual([{ threw: true }, { threw: true }]);
    expect(outcomes('true ? 2147483648 : 1', { input })).toEqual([{ threw: true }, { threw: true }]);
    expect(outcomes('input.m', { input }).map((o) => Object.is(o.value, 0))).toEqual([true, true]);
    expect(outcomes('1u + 2u', { input })).toEqual([{ value: 3 }, { value: 3 }]);
  });

  it('decides && and || as CEL does when one side fails', () => {
    const value = (source: string) => {
      const compiled = compileCel(source, scope);
      if (!compiled.ok) throw new Error(compiled.message);
      return outcome(() => compiled.program.evaluate({ input: { y: 1 } }));
    };
    expect(value('input.x > 1.0 || true')).toEqual({ value: true });
    expect(value('true || input.x > 1.0')).toEqual({ value: true });
    expect(value('input.x > 1.0 && false')).toEqual({ value: false });
    expect(value('input.x > 1.0 && true')).toEqual({ threw: true });
    expect(value('false || input.x > 1.0')).toEqual({ threw: true });
  });

  it('fails, as cel-js does, on a field that does not hold its declared type', () => {
    const compiled = compileCel('input.x > 1.0', scope);
    if (!compiled.ok) throw new Error(compiled.message);
    expect(() => compiled.program.evaluate({ input: { x: '2' } })).toThrow('input.x is string, not double');
    expect(() => compiled.program.evaluate({ input: {} })).toThrow('input.x is missing, not double');
  });
});
