import type { Random } from '../statistics/index.js';

/**
 * A fixed-size uniform sample of a stream (reservoir sampling, Vitter's algorithm R): quantiles and
 * distribution tests over a window cost bounded memory however long the step runs.
 */
export class Reservoir {
  readonly #values: number[] = [];
  readonly #capacity: number;
  readonly #random: Random;
  #seen = 0;

  constructor(capacity: number, random: Random) {
    this.#capacity = capacity;
    this.#random = random;
  }

  add(value: number): void {
    this.#seen++;
    if (this.#values.length < this.#capacity) {
      this.#values.push(value);
      return;
    }
    const slot = Math.floor(this.#random.next() * this.#seen);
    if (slot < this.#capacity) this.#values[slot] = value;
  }

  get size(): number {
    return this.#values.length;
  }

  get values(): readonly number[] {
    return this.#values;
  }

  /** The q-quantile (nearest rank) of the sample; null when empty. */
  quantile(q: number): number | null {
    if (this.#values.length === 0) return null;
    const sorted = [...this.#values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
  }
}

/** What one version did in one analysis window. */
export class VersionWindow {
  requests = 0;
  errors = 0;
  readonly latency: Reservoir;
  readonly outputs: Reservoir;

  constructor(capacity: number, random: Random) {
    this.latency = new Reservoir(capacity, random);
    this.outputs = new Reservoir(capacity, random);
  }
}
