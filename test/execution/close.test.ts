import { describe, expect, it, vi } from 'vitest';
import { assertPipelines } from '../../src/definition/load.js';
import { createEngine } from '../../src/execution/engine.js';
import { TesseraError } from '../../src/errors/index.js';
import { APPLICANT } from '../helpers/applicants.js';
import { bundledPipelines, fixture } from '../helpers/paths.js';
import { fraudPipeline } from '../helpers/pipelines.js';
import { loadYaml } from '../routing/simulation/harness.js';
import { startServer } from '../helpers/server.js';

describe('closing an engine', () => {
  it('waits for the runs in flight: their model batches run before the sessions are released', async () => {
    const engine = createEngine(await assertPipelines(bundledPipelines));
    // Batches of these runs are queued, not yet dispatched, when close() is called.
    const runs = Array.from({ length: 50 }, (_, i) => engine.run('creditScore', { ...APPLICANT, applicantId: `close-${i}` }));
    const closed = engine.close();
    const results = await Promise.all(runs);
    await closed;
    for (const result of results) {
      expect(result.errors).toEqual([]);
      expect(result.outputs.score).toEqual(expect.any(Number));
    }
  });

  it('refuses runs once closing, with an error that says so, and releases the sessions only once', async () => {
    const engine = createEngine(await assertPipelines(bundledPipelines));
    const inFlight = engine.run('creditScore', APPLICANT);
    const closing = engine.close();
    const refused = await engine.run('creditScore', { ...APPLICANT, applicantId: 'late' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(TesseraError);
    expect(refused).toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/closed/) });
    expect((await inFlight).errors).toEqual([]);
    await Promise.all([closing, engine.close()]);
  });
});

describe('closing an engine with shadows and stuck runs', () => {
  it('waits for the shadow runs its requests started after they answered, so none fails on a released model', async () => {
    const engine = createEngine(await assertPipelines(fixture('telemetry-shadow')));
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.run('shadowed', { id: `shadow-${i}`, x: 2 })));
    expect(answers.every((answer) => answer.errors.length === 0)).toBe(true);
    // Every answer is in; the fraud shadows (v2, a model) are still to run, an event-loop turn later.
    await engine.close();
    const fraud = (await engine.rollouts.view('shadowed', 'fraud')).shadow;
    expect(fraud).toMatchObject({ mirrored: 20, errors: 0, compared: 20 });
  });

  it('stops waiting after closeTimeoutMs: a run stuck in its model does not hold the shutdown', async () => {
    const engine = createEngine(await loadYaml(fraudPipeline('    batch: { maxWait: 60s }')), { closeTimeoutMs: 1_000 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      // The model's batch waits a minute for company: on the virtual clock, a run that does not end.
      const answer = engine.run('f', { id: 'a', days: 30 });
      let closed = false;
      const closing = engine.close().then(() => (closed = true));
      await vi.advanceTimersByTimeAsync(999);
      expect(closed).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await closing;
      expect(closed).toBe(true);
      // The batch, dispatched after the release, fails its request instead of reaching the model.
      await vi.advanceTimersByTimeAsync(60_000);
      expect((await answer).errors.map((e) => e.code)).toEqual(['NODE_FAILED', 'UPSTREAM_FAILED']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a server over a closed engine', () => {
  it('answers FAILED_PRECONDITION, unmasked, for the query field and the batch field', async () => {
    const running = await startServer(bundledPipelines);
    try {
      await running.engine.close();
      const one = await running.post('query($input: CreditScoreInput!) { creditScore(input: $input) { score } }', { input: APPLICANT });
      const many = await running.post('query($inputs: [CreditScoreInput!]!) { creditScoreBatch(inputs: $inputs) { score } }', { inputs: [APPLICANT, { ...APPLICANT, applicantId: 'b' }] });
      for (const { body } of [one, many]) {
        expect(body.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['FAILED_PRECONDITION', expect.stringMatching(/^The engine is closed/)]]);
      }
    } finally {
      await running.server.close();
    }
  });
});
