/**
 * Direct evaluation of the CEL expressions whose every operation means the same in JavaScript: on
 * doubles, strings and bools, and comparisons of ints (Tessera's Int is a 32-bit number; CEL's int a
 * BigInt, whose arithmetic, with its overflow errors, is left to cel-js), without lists, maps,
 * macros or conversions. Scoring expressions are mostly of this kind (ratios, thresholds, grades),
 * and cel-js's interpreter spends about as long on one as the rest of a node does; a closure per
 * operation, built once, does not. Anything else is left to cel-js (`directProgram` answers
 * undefined). Only expressions that CEL's type check has passed are given here; the tests compare
 * both on random expressions and values.
 */
import type { Value, ValueType } from '../../definition/types.js';
import { celTypeName, isAstNode, type CelScope } from './ast.js';
import { MATH_ON_DOUBLES } from './math.js';

type Variables = Readonly<Record<string, unknown>>;
type Type = 'double' | 'int' | 'string' | 'bool';
interface Compiled {
  readonly type: Type;
  readonly run: (variables: Variables) => unknown;
}

/** The JavaScript type of each CEL type evaluated directly. */
const JS_TYPE: Readonly<Record<Type, string>> = { double: 'number', int: 'number', string: 'string', bool: 'boolean' };

/** The expression as a function of its variables (`input` and upstream nodes' outputs), or undefined if it is not of the kind evaluated directly. */
export function directProgram(ast: unknown, scope: CelScope): ((variables: Variables) => unknown) | undefined {
  return compile(ast, scope)?.run;
}

function compile(node: unknown, scope: CelScope): Compiled | undefined {
  if (!isAstNode(node)) return undefined;
  const args = node.args;
  switch (node.op) {
    case 'value': {
      if (typeof args === 'bigint') {
        // An int literal, compared exactly as a number while it is a safe integer.
        const value = Number(args);
        return Number.isSafeInteger(value) ? { type: 'int', run: () => value } : undefined;
      }
      const type = typeof args === 'number' ? 'double' : typeof args === 'string' ? 'string' : typeof args === 'boolean' ? 'bool' : undefined;
      return type && { type, run: () => args };
    }
    case '.':
      return field(args, scope);
    case '!_': {
      const operand = compile(args, scope);
      if (operand?.type !== 'bool') return undefined;
      const run = operand.run;
      return { type: 'bool', run: (v) => !run(v) };
    }
    case '-_': {
      // An int here is a safe integer (a 32-bit field or a literal): its negation is exact.
      const operand = compile(args, scope);
      if (operand?.type !== 'double' && operand?.type !== 'int') return undefined;
      const run = operand.run;
      // CEL's ints have no -0; its doubles do.
      return operand.type === 'int' ? { type: 'int', run: (v) => 0 - (run(v) as number) } : { type: 'double', run: (v) => -(run(v) as number) };
    }
    case '?:': {
      const [condition, then, otherwise] = (args as unknown[]).map((arg) => compile(arg, scope));
      if (condition?.type !== 'bool' || !then || then.type !== otherwise?.type) return undefined;
      const [test, yes, no] = [condition.run, then.run, otherwise.run];
      return { type: then.type, run: (v) => (test(v) ? yes(v) : no(v)) };
    }
    case 'rcall':
      return mathCall(args, scope);
    default:
      return binary(node.op, args, scope);
  }
}

/** `name.field` of a variable in scope, checked to be of its declared type when read. */
function field(args: unknown, scope: CelScope): Compiled | undefined {
  const [target, name] = args as [unknown, unknown];
  if (!isAstNode(target) || target.op !== 'id' || typeof name !== 'string') return undefined;
  const variable = String(target.args);
  const declared: ValueType | undefined = scope.get(variable)?.get(name);
  const type = declared && directType(celTypeName(declared));
  if (!type) return undefined;
  const expected = JS_TYPE[type];
  return {
    type,
    run: (v) => {
      const value = (v[variable] as Readonly<Record<string, Value>> | undefined)?.[name];
      if (typeof value !== expected) throw new TypeError(`${variable}.${name} is ${value === undefined ? 'missing' : typeof value}, not ${type}`);
      return value;
    },
  };
}

function directType(celType: string): Type | undefined {
  return celType === 'double' || celType === 'int' || celType === 'string' || celType === 'bool' ? celType : undefined;
}

/** `math.least(a, b)` and the other `math.*` functions on doubles. */
function mathCall(args: unknown, scope: CelScope): Compiled | undefined {
  const [name, receiver, list] = args as [unknown, unknown, unknown];
  const fn = typeof name === 'string' ? MATH_ON_DOUBLES.get(name) : undefined;
  if (!fn || !isAstNode(receiver) || receiver.op !== 'id' || receiver.args !== 'math' || scope.has('math') || !Array.isArray(list) || list.length !== fn.length) return undefined;
  const operands = list.map((arg) => compile(arg, scope));
  if (!operands.every((operand) => operand?.type === 'double')) return undefined;
  const runs = (operands as Compiled[]).map((operand) => operand.run);
  if (runs.length === 1) {
    const [a] = runs as [Compiled['run']];
    return { type: 'double', run: (v) => fn(a(v) as number) };
  }
  if (runs.length === 2) {
    const [a, b] = runs as [Compiled['run'], Compiled['run']];
    return { type: 'double', run: (v) => fn(a(v) as number, b(v) as number) };
  }
  return { type: 'double', run: (v) => fn(...runs.map((run) => run(v) as number)) };
}

/** Arithmetic on doubles, comparisons of doubles and of ints, equality of like types, string concatenation, `&&` and `||` on bools. */
function binary(op: string, args: unknown, scope: CelScope): Compiled | undefined {
  if (!Array.isArray(args) || args.length !== 2) return undefined;
  const left = compile(args[0], scope);
  const right = compile(args[1], scope);
  if (!left || !right || left.type !== right.type) return undefined;
  const [a, b] = [left.run, right.run];
  const type = left.type;
  switch (op) {
    case '==':
      return { type: 'bool', run: (v) => a(v) === b(v) };
    case '!=':
      return { type: 'bool', run: (v) => a(v) !== b(v) };
    case '&&':
      return type === 'bool' ? { type, run: (v) => logical(a, b, v, false) } : undefined;
    case '||':
      return type === 'bool' ? { type, run: (v) => logical(a, b, v, true) } : undefined;
    case '+':
      if (type === 'string') return { type, run: (v) => (a(v) as string) + (b(v) as string) };
      return type === 'double' ? { type, run: (v) => (a(v) as number) + (b(v) as number) } : undefined;
  }
  if (type !== 'double' && type !== 'int') return undefined;
  switch (op) {
    case '<':
      return { type: 'bool', run: (v) => (a(v) as number) < (b(v) as number) };
    case '<=':
      return { type: 'bool', run: (v) => (a(v) as number) <= (b(v) as number) };
    case '>':
      return { type: 'bool', run: (v) => (a(v) as number) > (b(v) as number) };
    case '>=':
      return { type: 'bool', run: (v) => (a(v) as number) >= (b(v) as number) };
  }
  if (type !== 'double') return undefined;
  switch (op) {
    case '-':
      return { type, run: (v) => (a(v) as number) - (b(v) as number) };
    case '*':
      return { type, run: (v) => (a(v) as number) * (b(v) as number) };
    case '/':
      return { type, run: (v) => (a(v) as number) / (b(v) as number) };
    default:
      return undefined;
  }
}

/**
 * `a && b` (`decisive` false) or `a || b` (true) as CEL has them: the side that decides the result
 * decides it even when the other fails (`error || true` is true), and an error stands otherwise.
 */
function logical(a: Compiled['run'], b: Compiled['run'], v: Variables, decisive: boolean): boolean {
  let left: unknown;
  try {
    left = a(v);
  } catch (error) {
    if (b(v) === decisive) return decisive;
    throw error;
  }
  return left === decisive ? decisive : (b(v) as boolean);
}
