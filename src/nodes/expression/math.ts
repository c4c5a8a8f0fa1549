import { Environment } from '@marcbachmann/cel-js';

/** The receiver of `math.*` calls; CEL sees it as a constant named `math`. */
class CelMath {}

type Unary = (x: number) => number;

const least = (a: number, b: number): number => (a < b ? a : b);
const greatest = (a: number, b: number): number => (a > b ? a : b);
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

const DOUBLE_FUNCTIONS: readonly (readonly [string, Unary])[] = [
  ['abs', Math.abs],
  ['ceil', Math.ceil],
  ['floor', Math.floor],
  ['round', (x) => (x < 0 ? -Math.round(-x) : Math.round(x))],
  ['trunc', Math.trunc],
  ['sqrt', Math.sqrt],
  ['log', Math.log],
  ['exp', Math.exp],
  ['sigmoid', (x) => 1 / (1 + Math.exp(-x))],
];

/**
 * A CEL environment with the math extension: cel-go's `math.least`, `math.greatest`, `math.abs`,
 * `math.ceil`, `math.floor`, `math.round` (half away from zero), `math.trunc` and `math.sqrt`, plus
 * what scoring needs: `math.log`, `math.exp`, `math.sigmoid` and `math.clamp(x, lo, hi)`.
 * Built once; each expression gets a clone with its own variables.
 */
function createBaseEnvironment(): Environment {
  const env = new Environment({ homogeneousAggregateLiterals: false })
    .registerType('CelMath', CelMath)
    .registerConstant('math', 'CelMath', new CelMath());
  for (const type of ['double', 'int'] as const) {
    env.registerFunction(`CelMath.least(${type}, ${type}): ${type}`, (_m: CelMath, a: number, b: number) => least(a, b));
    env.registerFunction(`CelMath.greatest(${type}, ${type}): ${type}`, (_m: CelMath, a: number, b: number) => greatest(a, b));
  }
  env.registerFunction('CelMath.abs(int): int', (_m: CelMath, a: bigint) => (a < 0n ? -a : a));
  for (const [name, fn] of DOUBLE_FUNCTIONS) env.registerFunction(`CelMath.${name}(double): double`, (_m: CelMath, x: number) => fn(x));
  env.registerFunction('CelMath.clamp(double, double, double): double', (_m: CelMath, x: number, lo: number, hi: number) => clamp(x, lo, hi));
  return env;
}

/** The `math.*` functions on doubles, by name, as CEL calls them: what `direct.ts` calls too. */
export const MATH_ON_DOUBLES: ReadonlyMap<string, (...args: number[]) => number> = new Map<string, (...args: number[]) => number>([
  ['least', least],
  ['greatest', greatest],
  ['clamp', clamp],
  ...DOUBLE_FUNCTIONS,
]);

let base: Environment | undefined;

/** A fresh environment with the math extension, ready for variables. */
export function celEnvironment(): Environment {
  base ??= createBaseEnvironment();
  return base.clone();
}
