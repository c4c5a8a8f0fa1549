import { describe, expect, it } from 'vitest';
import { normalSf } from '../../../src/routing/statistics/index.js';
import { createMemoryStore, type StateStore } from '../../../src/state/index.js';
import { deploy, inputs, loadYaml, request, SimClock, SIMULATION_TIMEOUT_MS } from './harness.js';

const PIPELINE = `
name: exp
routingKey: unit
input:
  unit: { type: ID }
nodes:
  offer:
    kind: expression
    versions:
      control: { expr: "1.0" }
      treatment: { expr: "1.0 + 0.0" }
    routing:
      policy: split
      weights: { control: 50, treatment: 50 }
      outcome: { kind: binary, better: higher }
outputs:
  value: offer.value
`;

/** Naive fixed-horizon two-proportion z-test, two-sided. */
function zTest(n1: number, x1: number, n2: number, x2: number): number {
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  return se === 0 ? 1 : 2 * normalSf(Math.abs(x1 / n1 - x2 / n2) / se);
}

describe('A/B experiments through the engine and the state store (seeded simulations)', { timeout: SIMULATION_TIMEOUT_MS }, () => {
  it('A/A with a look after every 100 units: the always-valid p-value holds α = 0.05 over 1000 runs; a peeking z-test does not', async ({ annotate }) => {
    const pipelines = await loadYaml(PIPELINE);
    const runs = 1000;
    let alwaysValid = 0;
    let naive = 0;
    for (let run = 0; run < runs; run++) {
      const clock = new SimClock();
      const { engine, rollouts, close } = await deploy(pipelines, { seed: run, clock });
      const source = inputs(10_000 + run);
      let rejected = false;
      let naiveRejected = false;
      for (let look = 0; look < 10; look++) {
        const outcomes = [];
        for (let i = 0; i < 100; i++) {
          const result = request(engine, 'exp', 'offer', { unit: `r${run}-${look}-${i}` });
          outcomes.push({ requestId: result.requestId, value: source.uniform() < 0.1 ? 1 : 0 });
        }
        await rollouts.flush();
        await rollouts.reportOutcomes(outcomes);
        const readout = (await rollouts.view('exp', 'offer')).experiment;
        const [control, treatment] = readout?.arms ?? [];
        if (treatment?.pValue !== null && treatment?.pValue !== undefined && treatment.pValue < 0.05) rejected = true;
        if (control && treatment && control.outcomes > 0 && treatment.outcomes > 0) {
          if (zTest(control.outcomes, (control.mean ?? 0) * control.outcomes, treatment.outcomes, (treatment.mean ?? 0) * treatment.outcomes) < 0.05) naiveRejected = true;
        }
      }
      if (rejected) alwaysValid++;
      if (naiveRejected) naive++;
      await close();
    }
    const bound = 0.05 + 3 * Math.sqrt((0.05 * 0.95) / runs);
    await annotate(`A/A: always-valid false positives ${alwaysValid}/${runs}; naive z-test with the same peeking ${naive}/${runs}; bound ${bound.toFixed(4)}`);
    expect(alwaysValid / runs).toBeLessThanOrEqual(bound);
    expect(naive / runs).toBeGreaterThan(0.1);
  });

  it('flags a 52/48 assignment bug with the SRM check, and not a correct 50/50 split', async ({ annotate }) => {
    const pipelines = await loadYaml(PIPELINE);
    // The bug: 7.7% of the treatment's decisions never reach the store (a logging bug, a classic
    // cause of sample-ratio mismatch), so the counts come out 52/48 against a configured 50/50.
    const lossy = (store: StateStore, seed: number): StateStore => {
      const source = inputs(seed);
      return {
        ...store,
        appendDecisions: (records) => store.appendDecisions(records.filter((r) => r.nodes[0]?.version !== 'treatment' || source.uniform() >= 0.077)),
      };
    };
    const readoutFor = async (bug: boolean) => {
      const clock = new SimClock();
      const { engine, rollouts, close } = await deploy(pipelines, { seed: 5, clock, store: bug ? lossy(createMemoryStore(), 99) : createMemoryStore() });
      for (let i = 0; i < 20_000; i++) request(engine, 'exp', 'offer', { unit: `u${i}` });
      await rollouts.flush();
      const readout = (await rollouts.view('exp', 'offer')).experiment;
      await close();
      return readout;
    };
    const buggy = await readoutFor(true);
    const correct = await readoutFor(false);
    await annotate(`SRM: bug ${buggy?.arms.map((a) => a.assignments).join('/')} p=${buggy?.srm.pValue.toExponential(2)}; correct ${correct?.arms.map((a) => a.assignments).join('/')} p=${correct?.srm.pValue.toFixed(3)}`);
    expect(buggy?.srm.mismatch).toBe(true);
    expect(buggy?.recommendation).toMatch(/^Stop and investigate: the assignment counts do not match the configured split/);
    expect(correct?.srm.mismatch).toBe(false);
  });
});
