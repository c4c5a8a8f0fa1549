/**
 * Distribution functions the tests and gates need, written out so the engine has no numeric
 * dependency: normal, chi-square, Student t and Kolmogorov. Accuracy is stated per function and
 * checked against reference values in `test/routing/statistics/distributions.test.ts`.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The upper tail P(Z > x) of the standard normal, by Hart's double-precision rational approximation
 * (algorithm 5666, as given by West 2005, "Better approximations to cumulative normal functions"),
 * with a continued fraction beyond |x| = 7.07. Absolute error below 1e-16 everywhere; relative
 * error below 1e-13 up to |x| = 3 and below 1e-8 in the far tail, so p-values like 1e-12 keep
 * their leading digits.
 */
export function normalSf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const z = Math.abs(x);
  let tail: number;
  if (z > 37) {
    tail = 0;
  } else {
    const e = Math.exp(-0.5 * z * z);
    if (z < 7.07106781186547) {
      let num = 3.52624965998911e-2 * z + 0.700383064443688;
      num = num * z + 6.37396220353165;
      num = num * z + 33.912866078383;
      num = num * z + 112.079291497871;
      num = num * z + 221.213596169931;
      num = num * z + 220.206867912376;
      let den = 8.83883476483184e-2 * z + 1.75566716318264;
      den = den * z + 16.064177579207;
      den = den * z + 86.7807322029461;
      den = den * z + 296.564248779674;
      den = den * z + 637.333633378831;
      den = den * z + 793.826512519948;
      den = den * z + 440.413735824752;
      tail = (e * num) / den;
    } else {
      let cf = z + 0.65;
      cf = z + 4 / cf;
      cf = z + 3 / cf;
      cf = z + 2 / cf;
      cf = z + 1 / cf;
      tail = e / cf / SQRT_2PI;
    }
  }
  return x >= 0 ? tail : 1 - tail;
}

/** The standard normal CDF Φ(x) = P(Z ≤ x); see {@link normalSf} for the accuracy. */
export function normalCdf(x: number): number {
  return normalSf(-x);
}

/** The standard normal density φ(x). */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/**
 * The standard normal quantile Φ⁻¹(p) by Wichura's algorithm AS241 (PPND16, 1988): relative error
 * about 1e-16. Returns −∞ at p = 0 and +∞ at p = 1.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`probability must be in [0, 1], received ${p}.`);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    const num =
      (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r +
        45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r +
        133.14166789178437745) * r + 3.387132872796366608) * q;
    const den =
      ((((((5226.495278852545561 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
        21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
        42.313330701600911252) * r + 1;
    return num / den;
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    const num =
      ((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r +
        1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r +
        4.6303378461565452959) * r + 1.42343711074968357734;
    const den =
      ((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r +
        0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r +
        2.05319162663775882187) * r + 1;
    x = num / den;
  } else {
    r -= 5;
    const num =
      ((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r +
        0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r +
        5.4637849111641143699) * r + 6.6579046435011037772;
    const den =
      ((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
        7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r +
        0.59983220655588793769) * r + 1;
    x = num / den;
  }
  return q < 0 ? -x : x;
}

/**
 * ln Γ(x) for x > 0: Stirling's series with terms up to B₁₄ for x ≥ 10, and the recurrence
 * Γ(x) = Γ(x + n) / (x (x + 1) ⋯ (x + n − 1)) below. Absolute error about 1e-15.
 */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma needs x > 0, received ${x}.`);
  let product = 1;
  while (x < 10) {
    product *= x;
    x += 1;
  }
  const inverse = 1 / x;
  const inverse2 = inverse * inverse;
  const series =
    inverse *
    (1 / 12 -
      inverse2 * (1 / 360 - inverse2 * (1 / 1260 - inverse2 * (1 / 1680 - inverse2 * (1 / 1188 - inverse2 * (691 / 360360 - inverse2 / 156))))));
  return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + series - Math.log(product);
}

const EPSILON = 1e-15;
const TINY = 1e-300;
const MAX_ITERATIONS = 100_000;

/**
 * The regularized lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a): its series for
 * x < a + 1 and the complement of the Lentz continued fraction otherwise (Numerical Recipes §6.2).
 */
export function regularizedGammaP(a: number, x: number): number {
  checkGammaArguments(a, x);
  if (x === 0) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x);
}

/** The regularized upper incomplete gamma function Q(a, x) = 1 − P(a, x), accurate in the tail. */
export function regularizedGammaQ(a: number, x: number): number {
  checkGammaArguments(a, x);
  if (x === 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

function checkGammaArguments(a: number, x: number): void {
  if (!(a > 0) || !Number.isFinite(a)) throw new RangeError(`incomplete gamma needs a > 0, received a = ${a}.`);
  if (!(x >= 0)) throw new RangeError(`incomplete gamma needs x >= 0, received x = ${x}.`);
}

function gammaSeries(a: number, x: number): number {
  let ap = a;
  let term = 1 / a;
  let sum = term;
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
}

function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
}

/** The chi-square CDF with `df` degrees of freedom. */
export function chiSquareCdf(x: number, df: number): number {
  checkDegreesOfFreedom(df);
  return x <= 0 ? 0 : regularizedGammaP(df / 2, x / 2);
}

/** The chi-square survival function P(χ²_df > x): the p-value of a chi-square statistic. */
export function chiSquareSf(x: number, df: number): number {
  checkDegreesOfFreedom(df);
  return x <= 0 ? 1 : regularizedGammaQ(df / 2, x / 2);
}

/** The chi-square quantile: the x with P(χ²_df ≤ x) = p (Newton steps inside a bisection bracket). */
export function chiSquareQuantile(p: number, df: number): number {
  checkDegreesOfFreedom(df);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`probability must be in [0, 1], received ${p}.`);
  if (p === 0) return 0;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const k = df / 2;
  const logNorm = -k * Math.LN2 - lnGamma(k);
  const density = (x: number): number => Math.exp(logNorm + (k - 1) * Math.log(x) - x / 2);
  // Wilson–Hilferty is within a few percent; Newton finishes the job.
  const h = 2 / (9 * df);
  const start = Math.max(1e-8, df * (1 - h + normalQuantile(p) * Math.sqrt(h)) ** 3);
  // Solve in the upper tail when p is close to 1, so 1 − p keeps its digits.
  const upper = p > 0.5;
  const residual = upper ? (x: number) => (1 - p) - chiSquareSf(x, df) : (x: number) => chiSquareCdf(x, df) - p;
  return solveIncreasing(residual, density, start, 0);
}

/** The CDF of Student's t with `df` degrees of freedom (any real df > 0; ∞ gives the normal). */
export function studentTCdf(t: number, df: number): number {
  checkDegreesOfFreedom(df);
  if (df === Number.POSITIVE_INFINITY) return normalCdf(t);
  if (Number.isNaN(t)) return Number.NaN;
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** The quantile of Student's t: the t with P(T_df ≤ t) = p. */
export function studentTQuantile(p: number, df: number): number {
  checkDegreesOfFreedom(df);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`probability must be in [0, 1], received ${p}.`);
  if (df === Number.POSITIVE_INFINITY) return normalQuantile(p);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  // Symmetric: solve for the upper tail probability q = min(p, 1 − p) on t > 0.
  const q = Math.min(p, 1 - p);
  const logNorm = lnGamma((df + 1) / 2) - lnGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  const density = (t: number): number => Math.exp(logNorm - ((df + 1) / 2) * Math.log1p((t * t) / df));
  const tail = (t: number): number => 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  const start = Math.max(1e-8, -normalQuantile(q));
  const t = solveIncreasing((x) => q - tail(x), density, start, 0);
  return p < 0.5 ? -t : t;
}

/**
 * The regularized incomplete beta function I_x(a, b) by the Lentz continued fraction
 * (Numerical Recipes §6.4), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where it converges faster.
 */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`incomplete beta needs a, b > 0, received a = ${a}, b = ${b}.`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta needs x in [0, 1], received ${x}.`);
  if (x === 0 || x === 1) return x;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(x, a, b)) / a
    : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h;
}

/**
 * The Kolmogorov distribution's survival function Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}: the
 * asymptotic p-value of √n·D. Below λ = 1.18 it uses the Jacobi-theta form of the CDF,
 * √(2π)/λ · Σ e^{−(2k−1)²π²/(8λ²)}, which converges fast there (Numerical Recipes §6.14).
 */
export function kolmogorovSf(lambda: number): number {
  if (Number.isNaN(lambda)) return Number.NaN;
  if (lambda <= 0) return 1;
  if (lambda < 1.18) {
    const y = Math.exp(-(Math.PI * Math.PI) / (8 * lambda * lambda));
    const y8 = y ** 8;
    const cdf = (SQRT_2PI / lambda) * y * (1 + y8 * (1 + y8 * y8 * (1 + y8 * y8 * y8)));
    return 1 - cdf;
  }
  const x = Math.exp(-2 * lambda * lambda);
  return Math.max(0, 2 * (x - x ** 4 + x ** 9 - x ** 16));
}

function checkDegreesOfFreedom(df: number): void {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be positive, received ${df}.`);
}

/**
 * The root of an increasing function `f` on (lower, ∞), given its derivative: Newton steps, falling
 * back to bisection whenever a step leaves the bracket. The bracket's upper end grows by doubling.
 */
function solveIncreasing(f: (x: number) => number, derivative: (x: number) => number, start: number, lower: number): number {
  let lo = lower;
  let hi = Math.max(start, 1);
  while (f(hi) < 0) {
    lo = hi;
    hi *= 2;
  }
  let x = Math.min(Math.max(start, lo), hi);
  for (let i = 0; i < 200; i++) {
    const value = f(x);
    if (value === 0) return x;
    if (value < 0) lo = x;
    else hi = x;
    let next = x - value / derivative(x);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - x) <= 1e-15 * Math.max(1, Math.abs(x)) || hi - lo <= 1e-15 * Math.max(1, hi)) return next;
    x = next;
  }
  return x;
}
