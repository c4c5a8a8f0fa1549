/**
 * The metrics SDK (`@opentelemetry/sdk-metrics` 2.x) finds a recording's series by a string key it
 * builds from the attribute set on every recording: it sorts the keys and serializes the pairs as
 * JSON, about 1.3 µs for the engine's four attributes, which made it the largest single cost of the
 * metrics (13 recordings a request; open-telemetry/opentelemetry-js#4372, a faster hash in #6515 is
 * unmerged). The engine records with attribute sets it builds once and freezes, so here a frozen set
 * of plain string, number and boolean values, which can never change, has its key computed once and
 * remembered by identity, as opentelemetry-java caches the hash of its immutable attributes (#5307). Any other
 * set is hashed as before, on every recording.
 *
 * The SDK has no option for this: each of its attribute maps reads the hash function from the
 * `utils` module's exports when it is created, so that export is what gets replaced. The package
 * version is pinned; `test/telemetry/serverSdk.test.ts` fails if an upgrade moves the function or the
 * SDK stops calling it, and `test/telemetry/metrics.test.ts` if the server stops installing it.
 */
import { createRequire } from 'node:module';
import type { Attributes } from '@opentelemetry/api';

type Hash = (attributes: Attributes) => string;
interface SdkUtils {
  hashAttributes: Hash;
}

const MEMOIZED = Symbol.for('tessera.memoizedAttributeHash');

/**
 * Makes the metrics SDK hash each frozen, flat attribute set once. Idempotent; must run before the
 * MeterProvider is created (`registerTelemetry` does it first). Returns false, changing nothing,
 * when the SDK's hash is not where this version of the SDK keeps it.
 */
export function memoizeFrozenAttributeHashes(): boolean {
  let utils: Partial<SdkUtils>;
  try {
    utils = createRequire(import.meta.url)('@opentelemetry/sdk-metrics/build/src/utils.js') as Partial<SdkUtils>;
  } catch {
    return false;
  }
  const hash = utils.hashAttributes;
  if (typeof hash !== 'function') return false;
  if (MEMOIZED in hash) return true;
  utils.hashAttributes = Object.assign(memoizeFrozen(hash), { [MEMOIZED]: true });
  return true;
}

/** `hash`, remembered for each attribute set that cannot change. */
export function memoizeFrozen(hash: Hash): Hash {
  const keys = new WeakMap<Attributes, string>();
  return (attributes) => {
    const known = keys.get(attributes);
    if (known !== undefined) return known;
    // Checked before hashing: a getter could otherwise change or freeze the set while it is read.
    const immutable = isImmutable(attributes);
    const key = hash(attributes);
    if (immutable) keys.set(attributes, key);
    return key;
  };
}

/**
 * Frozen, with plain data properties holding strings, numbers or booleans: an array could still
 * change, a getter answer differently, and a BigInt or an object serialize through a `toJSON` that
 * can be replaced.
 */
function isImmutable(attributes: Attributes): boolean {
  if (!Object.isFrozen(attributes)) return false;
  return Object.values(Object.getOwnPropertyDescriptors(attributes)).every((property) => 'value' in property && PRIMITIVE.has(typeof property.value));
}

const PRIMITIVE = new Set(['string', 'number', 'boolean']);
