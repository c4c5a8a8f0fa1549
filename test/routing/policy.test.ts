import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unitPosition } from '../../src/routing/hash.js';
import { FixedPolicy, IntervalPolicy } from '../../src/routing/policy.js';
import { repoRoot } from '../helpers/paths.js';

describe('unitPosition', () => {
  it('is the documented function: first 52 bits of SHA-256(salt ‖ 0x00 ‖ key) over 2^52', () => {
    expect(unitPosition('creditScore.repayment', 'A000001')).toBe(0.15445361572187566);
    const digest = createHash('sha256').update(Buffer.concat([Buffer.from('creditScore.repayment'), Buffer.from([0]), Buffer.from('A000001')])).digest();
    const first52 = digest.readUIntBE(0, 6) * 16 + (digest[6] as number >> 4);
    expect(unitPosition('creditScore.repayment', 'A000001')).toBe(first52 / 2 ** 52);
  });

  it('is uniform on [0,1) (chi-square over 20 bins, 100,000 keys)', () => {
    const bins = new Array<number>(20).fill(0);
    for (let i = 0; i < 100_000; i++) bins[Math.floor(unitPosition('salt', `unit-${i}`) * 20)]! += 1;
    const chi = bins.reduce((sum, observed) => sum + (observed - 5000) ** 2 / 5000, 0);
    expect(chi).toBeLessThan(43.8); // χ²(19) at p = 0.001
  });

  it('gives the same positions in another process', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `applicant-${i}`);
    const here = keys.map((key) => unitPosition('creditScore.repayment', key));
    const script = `import { unitPosition } from './dist/routing/hash.js';
      const out = []; for (let i = 0; i < 100000; i++) out.push(unitPosition('creditScore.repayment', 'applicant-' + i));
      process.stdout.write(JSON.stringify(out));`;
    const there = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, maxBuffer: 64 << 20 }).toString()) as number[];
    expect(there).toEqual(here);
  });
});

describe('IntervalPolicy', () => {
  it('assigns by the declared weights, stably per unit', () => {
    const policy = IntervalPolicy.split(['v1', 'v2', 'v3'], [50, 30, 20], 'p.n');
    const counts = [0, 0, 0];
    for (let i = 0; i < 60_000; i++) {
      const key = `k${i}`;
      const version = policy.select(key).version;
      expect(policy.select(key).version).toBe(version);
      counts[version]! += 1;
    }
    // ±5 binomial standard deviations.
    expect(Math.abs(counts[0]! - 30_000)).toBeLessThan(5 * Math.sqrt(60_000 * 0.25));
    expect(Math.abs(counts[1]! - 18_000)).toBeLessThan(5 * Math.sqrt(60_000 * 0.21));
    expect(Math.abs(counts[2]! - 12_000)).toBeLessThan(5 * Math.sqrt(60_000 * 0.16));
    expect(policy.toString()).toBe('split(v1=50%,v2=30%,v3=20%)');
    expect(policy.traffic()).toEqual([0.5, 0.3, 0.2]);
  });

  it('is monotone: a unit on the candidate at a smaller share stays there at any larger share', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (keys, a, b) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        const before = IntervalPolicy.canary(['stable', 'candidate'], 0, 1, small / 100, 'salt');
        const after = IntervalPolicy.canary(['stable', 'candidate'], 0, 1, large / 100, 'salt');
        for (const key of keys) {
          if (small > 0 && before.select(key).version === 1) expect(after.select(key).version).toBe(1);
        }
      }),
      { seed: 20261128, numRuns: 300 },
    );
  });

  it('never assigns a version with weight 0', () => {
    const policy = IntervalPolicy.split(['v1', 'v2', 'v3'], [0, 1, 0], 's');
    for (let i = 0; i < 10_000; i++) expect(policy.select(`u${i}`).version).toBe(1);
  });

  it('FixedPolicy always answers its version', () => {
    const policy = new FixedPolicy(['a', 'b'], 1);
    expect(policy.select().version).toBe(1);
    expect(policy.traffic()).toEqual([0, 1]);
    expect(policy.toString()).toBe('fixed(b)');
  });
});
