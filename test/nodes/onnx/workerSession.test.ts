import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElementType, encodeModel, floatTensor, modelProto, node, tensorValueInfo } from '../../../examples/credit-score/lib/onnx-writer.js';
import { compileSession } from '../../../src/definition/kinds/context.js';
import type { ModelSession } from '../../../src/definition/types.js';
import { createEngine } from '../../../src/execution/engine.js';
import { createSession } from '../../../src/nodes/onnx/session.js';
import { readOnnxModel } from '../../../src/nodes/onnx/signature.js';
import { repoRoot } from '../../helpers/paths.js';
import { loadYaml } from '../../routing/simulation/harness.js';

const MAIN = compileSession(undefined, undefined);
const WORKER = compileSession(undefined, { thread: 'worker' });

/**
 * y = x + 1e-30 · sum(H), where H is (sum(x) · W) multiplied by W ten times over: [N,1] in and out,
 * and some hundreds of milliseconds of single-threaded matrix products that depend on the input
 * (nothing for the optimizer to fold away).
 */
function slowModel(size = 600, rounds = 10): Uint8Array {
  const w = Array.from({ length: size * size }, (_, i) => ((i * 7919) % 1000) / 1e6);
  const nodes = [
    // ReduceSum without axes (opset 17) sums everything into a [1,1] tensor (keepdims defaults to 1).
    node('ReduceSum', ['x'], ['s'], {}, { name: 'sum' }),
    node('Mul', ['s', 'W'], ['h0'], {}, { name: 'scale' }),
  ];
  for (let i = 0; i < rounds; i++) nodes.push(node('MatMul', [`h${i}`, 'W'], [`h${i + 1}`], {}, { name: `product${i}` }));
  nodes.push(
    node('ReduceSum', [`h${rounds}`], ['total'], {}, { name: 'total' }),
    node('Mul', ['total', 'tiny'], ['nudge'], {}, { name: 'nudge' }),
    node('Add', ['x', 'nudge'], ['y'], {}, { name: 'y' }),
  );
  return encodeModel(
    modelProto({
      graphName: 'slow',
      docString: 'A deliberately slow model for isolation tests.',
      nodes,
      inputs: [tensorValueInfo('x', ElementType.FLOAT, [null, 1])],
      outputs: [tensorValueInfo('y', ElementType.FLOAT, [null, 1])],
      initializers: [floatTensor('W', [size, size], w), floatTensor('tiny', [1, 1], [1e-30])],
    }),
  );
}

/** Turns of the event loop until `work` settles. */
async function turnsDuring(work: Promise<unknown>): Promise<number> {
  let done = false;
  void work.finally(() => (done = true));
  let turns = 0;
  while (!done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    turns++;
  }
  return turns;
}

describe('ONNX sessions in a worker thread (session.thread: worker)', () => {
  const slow = slowModel();
  const sessions: ModelSession[] = [];
  const open = async (bytes: Uint8Array, options = WORKER) => {
    const session = await createSession(bytes, options);
    sessions.push(session);
    return session;
  };
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.release()));
  });

  it('answers exactly as the same session on the main thread, for the example models on 500 rows', async () => {
    for (const file of ['repayment-v1.onnx', 'affordability.onnx', 'fraud.onnx']) {
      const read = readOnnxModel(readFileSync(path.join(repoRoot, 'examples/credit-score/models', file)));
      if (!read.ok) throw new Error(read.reason);
      const [main, worker] = [await open(read.bytes, MAIN), await open(read.bytes, WORKER)];
      const feeds = () =>
        Object.fromEntries(
          read.signature.inputs.map((input) => {
            const shape = input.shape ?? [];
            const k = typeof shape[1] === 'number' ? shape[1] : 1;
            const dims = shape.length === 1 ? [500] : [500, k];
            const n = 500 * k;
            if (input.elementType === 'string') return [input.name, new ort.Tensor('string', Array.from({ length: n }, (_, i) => ['EMPLOYED', 'SELF_EMPLOYED', 'UNEMPLOYED', 'RETIRED'][i % 4] as string), dims)];
            if (input.elementType === 'int64') return [input.name, new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 13)), dims)];
            return [input.name, new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => ((i * 37) % 101) / 10), dims)];
          }),
        );
      const fetches = read.signature.outputs.map((o) => o.name);
      const [a, b] = [await main.run(feeds(), fetches), await worker.run(feeds(), fetches)];
      for (const name of fetches) {
        expect((b[name] as ort.Tensor).dims).toEqual((a[name] as ort.Tensor).dims);
        expect((b[name] as ort.Tensor).type).toBe((a[name] as ort.Tensor).type);
        expect(Array.from((b[name] as ort.Tensor).data as ArrayLike<unknown>)).toEqual(Array.from((a[name] as ort.Tensor).data as ArrayLike<unknown>));
      }
    }
  });

  it('leaves the event loop free while the model computes; on the main thread the loop stands still', async () => {
    const feeds = () => ({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [3, 1]) });
    const [main, worker] = [await open(slow, MAIN), await open(slow, WORKER)];
    const blocked = await turnsDuring(main.run(feeds(), ['y']));
    const free = await turnsDuring(worker.run(feeds(), ['y']));
    expect(blocked).toBeLessThanOrEqual(2);
    expect(free).toBeGreaterThan(50);
  });

  it('rejects a run the model refuses with onnxruntime’s message, and serves the next one', async () => {
    const worker = await open(slow);
    await expect(worker.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [2, 2]) }, ['y'])).rejects.toThrow(/x|dimension|shape/i);
    const ok = await worker.run({ x: new ort.Tensor('float32', Float32Array.from([5]), [1, 1]) }, ['y']);
    expect(Array.from((ok.y as ort.Tensor).data as Float32Array)[0]).toBeCloseTo(5, 5);
  });

  it('fails loading with the runtime’s reason when the bytes are not a model', async () => {
    await expect(createSession(Uint8Array.from([1, 2, 3, 4]), WORKER)).rejects.toThrow(/protobuf|model|parse|load/i);
  });

  it('release lets the runs already sent finish and answer, then ends the thread; releasing again is harmless', async () => {
    const worker = await createSession(slow, WORKER);
    const runs = [1, 2].map((x) => worker.run({ x: new ort.Tensor('float32', Float32Array.from([x]), [1, 1]) }, ['y']));
    const released = worker.release();
    expect(worker.release()).toBe(released);
    const answers = await Promise.all(runs);
    expect(answers.map((a) => Array.from((a.y as ort.Tensor).data as Float32Array)[0])).toEqual([expect.closeTo(1, 5), expect.closeTo(2, 5)]);
    await released;
    await expect(worker.run({ x: new ort.Tensor('float32', Float32Array.from([3]), [1, 1]) }, ['y'])).rejects.toThrow('The model session was released.');
  });

  it('after release, a run fails saying so', async () => {
    const worker = await createSession(slow, WORKER);
    await worker.release();
    await expect(worker.run({ x: new ort.Tensor('float32', Float32Array.from([1]), [1, 1]) }, ['y'])).rejects.toThrow('The model session was released.');
  });
});

describe('a slow model behind a timeout, through the engine', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tessera-slow-'));
    writeFileSync(path.join(dir, 'slow.onnx'), slowModel());
  });
  const pipeline = (thread: 'main' | 'worker') => `
name: slow
routingKey: id
input:
  id: { type: ID }
  x: { type: Float }
nodes:
  model:
    kind: onnx
    inputs: { x: [input.x] }
    outputs: { y: y }
    session: { thread: ${thread} }
    timeout: 10ms
    fallback: { value: { y: -1 } }
    versions:
      v1: { model: ${dir}/slow.onnx }
outputs:
  y: model.y
`;

  it('in a worker thread, the timeout fires while the model computes and the fallback answers', async () => {
    const engine = createEngine(await loadYaml(pipeline('worker')));
    const result = await engine.run('slow', { id: 'a', x: 2 });
    expect(result.outputs).toEqual({ y: -1 });
    expect(result.decisions[0]).toMatchObject({ variant: 'fallback', policy: 'fallback(timeout: value instead of v1)' });
    await engine.close();
  });

  it('on the main thread the same timeout cannot fire before the model is done: the model answers, late', async () => {
    const engine = createEngine(await loadYaml(pipeline('main')));
    const result = await engine.run('slow', { id: 'a', x: 2 });
    expect(result.outputs.y).toBeCloseTo(2, 5);
    expect(result.decisions[0]).toMatchObject({ variant: 'stable', policy: 'fixed(v1)' });
    await engine.close();
  });
});
