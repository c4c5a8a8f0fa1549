import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElementType, encodeModel, modelProto, node, tensorValueInfo } from '../../examples/credit-score/lib/onnx-writer.js';
import { createEngine, type Engine } from '../../src/execution/engine.js';
import { registerInMemoryTelemetry, type InMemoryTelemetry } from '../helpers/otel.js';
import { loadYaml } from '../routing/simulation/harness.js';

/**
 * y = the sum of every x, as one [1,1] tensor, although the model declares y as [N,1]: right for a
 * run of one row, an output of the wrong shape for a run of several.
 */
function summingModel(): Uint8Array {
  return encodeModel(
    modelProto({
      graphName: 'sum',
      docString: 'Declares one output row per input row, returns one in all.',
      // ReduceSum without axes (opset 17) sums everything into [1,1] (keepdims defaults to 1).
      nodes: [node('ReduceSum', ['x'], ['y'], {}, { name: 'sum' })],
      inputs: [tensorValueInfo('x', ElementType.FLOAT, [null, 1])],
      outputs: [tensorValueInfo('y', ElementType.FLOAT, [null, 1])],
    }),
  );
}

let otel: InMemoryTelemetry;
let engine: Engine;

beforeAll(async () => {
  otel = registerInMemoryTelemetry();
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-sum-'));
  writeFileSync(path.join(dir, 'sum.onnx'), summingModel());
  engine = createEngine(
    await loadYaml(`
name: summed
routingKey: id
input:
  id: { type: ID }
  x: { type: Float }
nodes:
  model:
    kind: onnx
    inputs: { x: [input.x] }
    outputs: { y: y }
    versions:
      v1: { model: ${dir}/sum.onnx }
outputs:
  y: model.y
`),
    { tracing: true },
  );
});

afterAll(async () => {
  await engine.close();
  await otel.telemetry.shutdown();
});

describe('a model run that fails around the model', () => {
  it('ends its span as an error, and the rows retried one by one get spans of their own', async () => {
    // Two requests started together share one run: its output has one row for two, and unpacking fails.
    const results = await Promise.all([engine.run('summed', { id: 'a', x: 1 }), engine.run('summed', { id: 'b', x: 2 })]);
    expect(results.map((r) => [r.errors, r.outputs])).toEqual([
      [[], { y: 1 }],
      [[], { y: 2 }],
    ]);
    const runs = otel.exporter.getFinishedSpans().filter((span) => span.name === 'tessera.model_run model@v1');
    expect(runs.map((span) => [span.attributes['tessera.batch.size'], span.status.code]).sort()).toEqual([
      [1, SpanStatusCode.UNSET],
      [1, SpanStatusCode.UNSET],
      [2, SpanStatusCode.ERROR],
    ]);
    const failed = runs.find((span) => span.status.code === SpanStatusCode.ERROR);
    expect(failed?.status.message).toBe('output "y" has shape [1,1] for 2 rows; expected 2 rows');
    expect(failed?.links).toHaveLength(2);
  });

  it('fails only the row whose value a float32 input cannot hold, instead of passing Infinity to the model', async () => {
    const [good, bad] = await Promise.all([engine.run('summed', { id: 'c', x: 3 }), engine.run('summed', { id: 'd', x: 1e39 })]);
    expect([good?.errors, good?.outputs]).toEqual([[], { y: 3 }]);
    expect(bad?.errors.map((e) => [e.code, e.message])).toEqual([
      ['NODE_FAILED', 'Node "model" (version v1) failed: input "x" is float32, which cannot hold 1e+39 (at most ±3.4028234663852886e+38)'],
    ]);
  });
});
