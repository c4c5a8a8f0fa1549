import { afterAll, describe, expect, it } from 'vitest';
import { assertPipelines } from '../../../src/definition/load.js';
import { createEngine } from '../../../src/execution/engine.js';
import { APPLICANT } from '../../helpers/applicants.js';
import { bundledPipelines } from '../../helpers/paths.js';

const engine = createEngine(await assertPipelines(bundledPipelines));
afterAll(() => engine.close());

describe('ONNX node outputs', () => {
  it('are records of the declared outputs only, while the run still knows the batch each row joined', async () => {
    const plan = engine.plan('creditScore');
    const fraud = plan.indexOf('fraud');
    const defaultRisk = plan.indexOf('defaultRisk');
    // Three requests started together share one run of each model.
    const runs = [1, 2, 3].map((i) => engine.start(plan, { ...APPLICANT, applicantId: `outputs-${i}`, creditHistoryMonths: 60 }, [plan.indexOf('score')]));
    await Promise.all(runs.map((run) => run.settled()));
    for (const run of runs) {
      const outputs = run.outputs(fraud);
      expect(Object.keys(outputs)).toEqual(['probability']);
      expect(JSON.parse(JSON.stringify(outputs))).toEqual({ probability: outputs.probability });
      expect({ ...run.outputs(defaultRisk) }).toEqual({ probabilityOfDefault: expect.any(Number), branch: 'repayment' });
      const timings = new Map(run.timings().map((t) => [t.node, t]));
      expect(timings.get('fraud')).toMatchObject({ batchSize: 3, queueWaitMs: expect.any(Number) });
      // A switch passes its branch's outputs on, not the branch's batch.
      expect(timings.get('defaultRisk')).toMatchObject({ batchSize: null, queueWaitMs: null });
      expect(timings.get('debtToIncome')).toMatchObject({ batchSize: null });
    }
  });
});
