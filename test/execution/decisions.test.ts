import { afterAll, describe, expect, it } from 'vitest';
import { assertPipelines } from '../../src/definition/load.js';
import { createEngine } from '../../src/execution/engine.js';
import { APPLICANT } from '../helpers/applicants.js';
import { bundledPipelines } from '../helpers/paths.js';

const engine = createEngine(await assertPipelines(bundledPipelines));
afterAll(() => engine.close());

describe('routing decisions', () => {
  it('are shared between requests routed alike, and frozen so that no caller can change another request’s', async () => {
    const first = await engine.run('creditScore', { ...APPLICANT, applicantId: 'decisions-1' });
    const second = await engine.run('creditScore', { ...APPLICANT, applicantId: 'decisions-1' });
    expect(second.decisions).toEqual(first.decisions);
    const fraud = first.decisions.find((d) => d.node === 'fraud');
    expect(fraud).toMatchObject({ node: 'fraud', version: 'v1', policy: 'fixed(v1)', variant: 'stable' });
    expect(Object.isFrozen(fraud)).toBe(true);
    expect(() => Object.assign(fraud as object, { policy: 'tampered' })).toThrow(TypeError);
    const third = await engine.run('creditScore', { ...APPLICANT, applicantId: 'decisions-3' });
    expect(third.decisions.find((d) => d.node === 'fraud')?.policy).toBe('fixed(v1)');
  });
});
