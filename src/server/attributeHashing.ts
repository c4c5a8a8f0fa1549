/**
 * The metrics SDK (`@opentelemetry/sdk-metrics` 2.x) finds a recording's series by a string key it
 * builds from the attribute set on every recording: it sorts the keys and serializes the pairs as
 * JSON, about 1.3 µs for the engine's four attributes, which made it the largest single cost of the
 * metrics (13 recordings a request; open-telemetry/opentelemetry-js#4372, a faster hash in #6515 is
 * unmerged). The engine records with attribute sets it builds once and freezes, so here a frozen set
 * whose values are all primitives, which can never change, has its key computed once and remembered
 * by identity, as opentelemetry-java caches the hash of its immutable attributes (#5307). Any other
 * set is hashed as before, on every recording.
 *
 * The SDK has no option for this: each of its attribute maps reads the hash function from the
 * `utils` module's exports when it is created, so that export is what gets replaced. The package
 * version is pinned; `test/server/attributeHashing.test.ts` fails if an upgrade moves the function.
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
 * MeterProvider is created (the server's telemetry does it on load). Returns false, changing
 * nothing, when the SDK's hash is not where this version of the SDK keeps it.
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
    let key = keys.get(attributes);
    if (key !== undefined) return key;
    key = hash(attributes);
    if (isImmutable(attributes)) keys.set(attributes, key);
    return key;
  };
}

/** Frozen, with plain data properties holding primitives: an array value or a getter could still change. */
function isImmutable(attributes: Attributes): boolean {
  if (!Object.isFrozen(attributes)) return false;
  return Object.values(Object.getOwnPropertyDescriptors(attributes)).every((property) => 'value' in property && (typeof property.value !== 'object' || property.value === null));
}
