/**
 * A source of uniform numbers in [0, 1). Every randomized function in this folder takes one
 * explicitly, so a simulation (or a bandit decision) replays exactly from its seed.
 */
export interface Random {
  next(): number;
}

const TWO_POW_32 = 4294967296;

/**
 * A seeded xoshiro128** generator (Blackman & Vigna 2018): 128 bits of state, period 2^128 − 1,
 * 32-bit outputs scaled to [0, 1) (so the smallest step is 2^−32). The state words come from the
 * seed through splitmix32 (a murmur3-style finaliser), so neighbouring seeds give unrelated streams.
 * Any safe integer is a valid seed.
 */
export function createRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be a safe integer, received ${seed}.`);
  }
  let mix = (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32) | 0, 0x85ebca6b);
  const splitmix32 = (): number => {
    mix = (mix + 0x9e3779b9) | 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) | 0;
  };
  const s0 = splitmix32();
  const s1 = splitmix32();
  const s2 = splitmix32();
  const s3 = splitmix32();
  // The all-zero state is the one fixed point of xoshiro; splitmix32 practically never yields it.
  return (s0 | s1 | s2 | s3) === 0 ? xoshiro128StarStar(1, 0, 0, 0) : xoshiro128StarStar(s0, s1, s2, s3);
}

/**
 * xoshiro128** from four raw 32-bit state words (not all zero); outputs divided by 2^32. Exposed so
 * the test can check the reference vector; callers want {@link createRandom}.
 *
 * @internal
 */
export function xoshiro128StarStar(a: number, b: number, c: number, d: number): Random {
  let s0 = a | 0;
  let s1 = b | 0;
  let s2 = c | 0;
  let s3 = d | 0;
  if ((s0 | s1 | s2 | s3) === 0) throw new RangeError('xoshiro128** state must not be all zero.');
  return {
    next(): number {
      const product = Math.imul(s1, 5);
      const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      return result / TWO_POW_32;
    },
  };
}

/** A standard normal draw by the Box–Muller transform (one of the pair; the other is discarded). */
export function sampleNormal(rng: Random): number {
  // 1 − u lies in (0, 1], so the logarithm is finite.
  const radius = Math.sqrt(-2 * Math.log(1 - rng.next()));
  return radius * Math.cos(2 * Math.PI * rng.next());
}

/**
 * A Gamma(shape, 1) draw by Marsaglia & Tsang (2000). For shape < 1 it draws Gamma(shape + 1) and
 * multiplies by U^(1/shape) (the "boost" in the same paper). Multiply by a scale for Gamma(k, θ).
 */
export function sampleGamma(rng: Random, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) {
    throw new RangeError(`gamma shape must be a positive finite number, received ${shape}.`);
  }
  if (shape < 1) {
    const u = 1 - rng.next();
    return sampleGamma(rng, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = sampleNormal(rng);
    let v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    const u = 1 - rng.next();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(alpha, beta) draw as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta). */
export function sampleBeta(rng: Random, alpha: number, beta: number): number {
  const x = sampleGamma(rng, alpha);
  const y = sampleGamma(rng, beta);
  const total = x + y;
  // Both draws can underflow to 0 for tiny shapes; the mean is the best answer left.
  return total > 0 ? x / total : alpha / (alpha + beta);
}

/** 1 with probability p, else 0. */
export function sampleBernoulli(rng: Random, p: number): 0 | 1 {
  return rng.next() < p ? 1 : 0;
}
