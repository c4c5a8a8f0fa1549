import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEngine } from '../../src/execution/engine.js';
import { loadYaml } from '../routing/simulation/harness.js';
import { fraudPipeline as fraud } from '../helpers/pipelines.js';

describe('timeouts and fallbacks', () => {
  afterEach(() => vi.useRealTimers());

  it('a slow model cannot hold the answer: past its timeout the fallback value answers, and the decision says so', async () => {
    // The batch waits 10 s for company; the node allows 50 ms. On a virtual clock: no real waiting.
    const pipelines = await loadYaml(fraud('    batch: { maxWait: 10s }\n    timeout: 50ms\n    fallback: { value: { probability: 0.5 } }'));
    const engine = createEngine(pipelines);
    vi.useFakeTimers();
    const answer = engine.run('f', { id: 'a', days: 30 });
    await vi.advanceTimersByTimeAsync(50);
    const result = await answer;
    expect(result.outputs).toEqual({ probability: 0.5, flag: false });
    expect(result.errors).toEqual([]);
    expect(result.decisions.find((d) => d.node === 'fraud')).toMatchObject({ version: 'v1', variant: 'fallback', policy: 'fallback(timeout: value instead of v1)' });
    vi.useRealTimers();
    await engine.close();
  });

  it('without a fallback, a timeout fails the node with NODE_TIMEOUT and its readers with UPSTREAM_FAILED', async () => {
    const pipelines = await loadYaml(fraud('    batch: { maxWait: 10s }\n    timeout: 50ms'));
    const engine = createEngine(pipelines);
    vi.useFakeTimers();
    const answer = engine.run('f', { id: 'a', days: 30 });
    await vi.advanceTimersByTimeAsync(50);
    const result = await answer;
    expect(result.errors).toEqual([
      { output: 'probability', code: 'NODE_TIMEOUT', message: 'Node "fraud" (version v1) took longer than 50 ms.' },
      { output: 'flag', code: 'UPSTREAM_FAILED', message: 'Node "flag" did not run: node "fraud" (version v1) took longer than 50 ms.' },
    ]);
    vi.useRealTimers();
    await engine.close();
  });

  it('a model within its timeout answers itself', async () => {
    const engine = createEngine(await loadYaml(fraud('    timeout: 10s\n    fallback: { value: { probability: 0.5 } }')));
    const result = await engine.run('f', { id: 'a', days: 30 });
    expect(result.outputs.probability).not.toBe(0.5);
    expect(result.decisions.find((d) => d.node === 'fraud')?.variant).toBe('stable');
    await engine.close();
  });

  it('a failing version falls back to another version', async () => {
    const engine = createEngine(
      await loadYaml(`
name: g
routingKey: id
input:
  id: { type: ID }
  n: { type: Int }
nodes:
  ratio:
    kind: expression
    versions:
      v1: { expr: "10 / input.n" }
      safe: { expr: "0" }
    fallback: { version: safe }
outputs:
  ratio: ratio.value
`),
    );
    const ok = await engine.run('g', { id: 'a', n: 5 });
    expect(ok.outputs.ratio).toBe(2);
    const failed = await engine.run('g', { id: 'b', n: 0 });
    expect(failed.outputs.ratio).toBe(0);
    expect(failed.errors).toEqual([]);
    expect(failed.decisions[0]).toMatchObject({ version: 'safe', variant: 'fallback', policy: 'fallback(error: safe instead of v1)' });
    await engine.close();
  });
});
