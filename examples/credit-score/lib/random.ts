/**
 * A small seeded pseudo-random generator and the distributions the applicant generator draws from.
 *
 * Everything in the credit-score example must be reproducible byte for byte from a seed, so nothing
 * here touches `Math.random`. The core is mulberry32 (Tommy Ettinger's 32-bit generator: one 32-bit
 * state advanced by a Weyl increment and scrambled by two multiply-xorshift rounds). It is not
 * cryptographic and its period is 2^32, which is plenty for tens of thousands of applicants.
 */

/** MurmurHash3's 32-bit finaliser; spreads a small integer seed over all 32 bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seeded stream of uniform and derived random numbers (mulberry32 underneath). */
export class Rng {
  private state: number;

  /**
   * @param seed any integer; it is hashed first because mulberry32 streams from adjacent raw
   *   seeds (20261128 and 20261129) would otherwise start from almost the same state.
   */
  constructor(seed: number) {
    this.state = fmix32(seed >>> 0);
  }

  /** A uniform number in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True with probability `p`. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** A uniform integer in [min, max] (both inclusive). */
  integer(min: number, max: number): number {
    return min + Math.floor(this.uniform() * (max - min + 1));
  }

  /**
   * A standard normal draw by the Box-Muller transform. The second value of each pair is thrown
   * away: it keeps the generator stateless apart from `state`, and speed does not matter here.
   */
  normal(mean = 0, sd = 1): number {
    const u1 = 1 - this.uniform(); // (0, 1]: log(0) would be -Infinity
    const u2 = this.uniform();
    return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A log-normal draw given its median (exp of the underlying normal's mean) and log-scale sigma. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** An exponential draw with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.uniform());
  }

  /**
   * A Poisson draw by Knuth's multiplication method, which is exact and fast for the small means
   * (below about 30) used by the generator; larger means would underflow `exp(-lambda)`.
   */
  poisson(lambda: number): number {
    if (!(lambda >= 0 && lambda < 30)) {
      throw new RangeError(`poisson() supports 0 <= lambda < 30, received ${lambda}`);
    }
    const limit = Math.exp(-lambda);
    let k = 0;
    let product = this.uniform();
    while (product > limit) {
      k += 1;
      product *= this.uniform();
    }
    return k;
  }

  /** Picks one of `values` with the given (not necessarily normalised) weights. */
  weighted<T>(values: readonly T[], weights: readonly number[]): T {
    if (values.length === 0 || values.length !== weights.length) {
      throw new RangeError(`weighted() needs as many weights as values, received ${values.length} and ${weights.length}`);
    }
    let total = 0;
    for (const w of weights) total += w;
    let target = this.uniform() * total;
    for (let i = 0; i < values.length; i++) {
      target -= weights[i]!;
      if (target < 0) return values[i]!;
    }
    return values[values.length - 1]!;
  }

  /** An in-place Fisher-Yates shuffle of `items`; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }
}
