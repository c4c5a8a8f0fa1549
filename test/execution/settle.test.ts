import { afterAll, describe, expect, it } from 'vitest';
import { assertPipelines } from '../../src/definition/load.js';
import { createEngine, readOutputs, settleAll } from '../../src/execution/engine.js';
import { APPLICANT } from '../helpers/applicants.js';
import { bundledPipelines } from '../helpers/paths.js';

const engine = createEngine(await assertPipelines(bundledPipelines));
afterAll(() => engine.close());
const plan = engine.plan('creditScore');
const all = plan.outputs.flatMap((o) => (o.node >= 0 ? [o.node] : []));

describe('waiting for runs', () => {
  it('settleAll resolves once every run of a batch has settled, and each answers as it would alone', async () => {
    const inputs = Array.from({ length: 300 }, (_, i) => ({ ...APPLICANT, applicantId: `settle-${i}`, creditHistoryMonths: i % 2 === 0 ? 6 : 60 }));
    const runs = inputs.map((input) => engine.start(plan, input, all));
    expect(runs.every((run) => run.busy)).toBe(true);
    const settled = settleAll(runs);
    expect(settled).toBeInstanceOf(Promise);
    await settled;
    expect(runs.some((run) => run.busy)).toBe(false);
    for (const [i, run] of runs.entries()) {
      const alone = await engine.run('creditScore', inputs[i] as Record<string, unknown>);
      const { values, errors } = readOutputs(run, plan.outputs);
      expect(errors).toEqual([]);
      expect(values).toEqual(alone.outputs);
      // The switch ran the branch the history asks for, and the nodes it waited for ran first.
      expect(run.decisions.map((d) => d.node)).toContain(i % 2 === 0 ? 'thinFile' : 'repayment');
      const finished = new Map(run.timings().map((t) => [t.node, t.startMs + t.durationMs]));
      const score = run.timings().find((t) => t.node === 'score');
      for (const upstream of ['defaultRisk', 'affordability', 'fraud']) expect(finished.get(upstream)).toBeLessThanOrEqual(score?.startMs as number);
    }
  });

  it('settleAll makes no promise when every run has settled already; whenSettled then calls back at once', () => {
    const run = engine.start(plan, { ...APPLICANT, applicantId: 'settle-pure' }, [plan.indexOf('debtToIncome')]);
    expect(run.busy).toBe(false);
    expect(settleAll([run])).toBeUndefined();
    let called = 0;
    run.whenSettled(() => called++);
    expect(called).toBe(1);
  });

});
