import { hash } from 'node:crypto';

/**
 * Where a unit sits on the interval [0, 1) for one node: the first 52 bits of
 * SHA-256(salt ‖ 0x00 ‖ unitKey) (UTF-8), read as an unsigned integer and divided by 2^52.
 *
 * SHA-256 makes assignments reproducible anywhere (a notebook can recompute who saw which
 * version), independent of process, machine and restart; 52 bits are exact in a double. A version
 * owns a sub-interval, so growing a candidate's interval from its start keeps every unit that was
 * already on the candidate there: ramps are monotone.
 */
export function unitPosition(salt: string, unitKey: string): number {
  return parseInt(hash('sha256', `${salt}\u0000${unitKey}`, 'hex').slice(0, 13), 16) / 2 ** 52;
}
