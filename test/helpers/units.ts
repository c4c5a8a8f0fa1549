import { unitPosition } from '../../src/routing/hash.js';

/**
 * Routing keys `<prefix><i>` whose unit position for `salt` (see `unitPosition`) falls below
 * `share`, and keys at or above it: with a split's salt and its first version's share, the keys
 * of each version, known without asking the engine.
 */
export function keysAround(salt: string, share: number, count: { below: number; above: number }, prefix = 'applicant-'): { below: string[]; above: string[] } {
  const below: string[] = [];
  const above: string[] = [];
  for (let i = 0; below.length < count.below || above.length < count.above; i++) {
    const key = `${prefix}${i}`;
    const isBelow = unitPosition(salt, key) < share;
    const side = isBelow ? below : above;
    if (side.length < (isBelow ? count.below : count.above)) side.push(key);
  }
  return { below, above };
}
