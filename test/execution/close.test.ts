import { describe, expect, it } from 'vitest';
import { assertPipelines } from '../../src/definition/load.js';
import { createEngine } from '../../src/execution/engine.js';
import { TesseraError } from '../../src/errors/index.js';
import { APPLICANT } from '../helpers/applicants.js';
import { bundledPipelines } from '../helpers/paths.js';

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
