import { deploy, inputs, loadYaml, request, SimClock } from './harness.js';

/**
 * Canary analysis on seeded simulations through the real engine and state store. The node is a
 * CEL expression with one version per scenario, so that thousands of runs stay fast: the model
 * behind a version does not matter to the analysis, only its errors, latency, outputs and
 * outcomes. Latency is drawn per request (log-normal, median 2 ms) on a virtual clock.
 */
const versions = {
  stable: 'input.e < 0.01 ? double(1 / int(input.e)) : input.x',
  // The same behaviour, retrained: another artifact (another sha256), same outputs.
  retrained: 'input.e < 0.01 ? double(1 / int(input.e)) : input.x + 0.0',
  erroring: 'input.e < 0.06 ? double(1 / int(input.e)) : input.x',
  shifted: 'input.e < 0.01 ? double(1 / int(input.e)) : input.x + 0.5',
};

function pipeline(candidate: keyof typeof versions, outcomeGate: boolean): string {
  return `
name: sim
routingKey: unit
input:
  unit: { type: ID }
  x: { type: Float }
  e: { type: Float }
nodes:
  model:
    kind: expression
    versions:
${Object.entries(versions).map(([name, expr]) => `      ${name}: { expr: "${expr}" }`).join('\n')}
    routing:
      policy: canary
      stable: stable
      candidate: ${candidate}
      steps: [5, 25, 50, 100]
      minSamples: 200
      minDuration: 0ms
      gates:
        errorRate: { maxIncrease: 0.01, alpha: 0.001 }
        latency: { maxP99Ratio: 1.5 }
        drift: { alpha: 0.0002, minPsi: 0.05, minKs: 0.1 }
${outcomeGate ? '        outcome: { kind: binary, better: lower, alpha: 0.001, minSamples: 1500 }' : ''}
outputs:
  y: model.value
`;
}

export interface Scenario {
  readonly candidate: keyof typeof versions;
  readonly latencyFactor: number;
  /** Probability of a bad outcome (e.g. default) per version; undefined: no outcomes reported. */
  readonly badOutcome?: { readonly stable: number; readonly candidate: number };
}

export interface RunResult {
  readonly status: string;
  /** The candidate share of the step where it ended (promotion: 1). */
  readonly share: number;
  readonly kinds: readonly string[];
  readonly gate: string | undefined;
  readonly requests: number;
}

export async function simulate(scenario: Scenario, runs: number, seed: number, options: { sqlite?: (run: number) => boolean } = {}): Promise<RunResult[]> {
  const pipelines = await loadYaml(pipeline(scenario.candidate, scenario.badOutcome !== undefined));
  const results: RunResult[] = [];
  for (let run = 0; run < runs; run++) {
    const clock = new SimClock();
    const { engine, rollouts, store, close } = await deploy(pipelines, { seed: seed + run, clock, sqlite: options.sqlite?.(run) ?? false });
    const source = inputs(seed * 1000 + run);
    const routing = rollouts.routing('sim', 'model');
    let requests = 0;
    let pending: { requestId: string; value: number }[] = [];
    while (requests < 80_000) {
      for (let i = 0; i < 100; i++, requests++) {
        const unit = `r${run}-u${requests}`;
        const candidate = routing.policy.select(unit).variant === 'candidate';
        clock.step = 2 * Math.exp(0.4 * source.normal()) * (candidate ? scenario.latencyFactor : 1);
        const result = request(engine, 'sim', 'model', { unit, x: source.normal(), e: source.uniform() });
        clock.step = 0;
        if (scenario.badOutcome) {
          const p = candidate ? scenario.badOutcome.candidate : scenario.badOutcome.stable;
          pending.push({ requestId: result.requestId, value: source.uniform() < p ? 1 : 0 });
        }
      }
      await rollouts.flush();
      if (pending.length > 0) {
        await rollouts.reportOutcomes(pending);
        pending = [];
      }
      await rollouts.analyze();
      const view = await rollouts.view('sim', 'model');
      if (view.status !== 'running') break;
    }
    const view = await rollouts.view('sim', 'model');
    const history = (await store.rolloutHistory({ pipeline: 'sim', node: 'model' }, 100)).reverse();
    const last = history[history.length - 1];
    results.push({
      status: view.status,
      share: view.status === 'promoted' ? 1 : ((last?.data as { share?: number }).share ?? 0),
      kinds: history.map((e) => e.kind),
      gate: (last?.data as { gate?: string }).gate,
      requests,
    });
    await close();
  }
  return results;
}

