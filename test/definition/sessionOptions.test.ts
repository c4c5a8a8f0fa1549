import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/execution/engine.js';
import type { OnnxNodeDef } from '../../src/definition/types.js';
import { expectProblems, expectValid } from './harness.js';

/** The thin-file model in one ONNX node whose node-level and version-level session options are given (YAML flow maps). */
const withSession = (node: string, v2: string) => `
  name: demo
  routingKey: id
  input:
    id: { type: ID }
    x: { type: Float }
  nodes:
    thin:
      kind: onnx
      inputs:
        features: [input.x, input.x, input.x, input.x]
      outputs:
        p: { tensor: probabilities, column: 1 }
      session: ${node}
      versions:
        v1: { model: models/thin-file.onnx }
        v2: { model: models/thin-file.onnx, session: ${v2} }
      routing: { policy: split, weights: { v1: 50, v2: 50 } }
  outputs:
    p: thin.p
`;

describe('onnxruntime session options', () => {
  it('are set per node and per version, each version with the options it names over the node’s, and its own session', async () => {
    const [pipeline] = await expectValid(
      withSession('{ intraOpThreads: 2, executionMode: parallel, interOpThreads: 2 }', '{ intraOpThreads: 1, graphOptimizationLevel: basic }'),
    );
    const node = pipeline?.nodes.find((n) => n.id === 'thin') as OnnxNodeDef;
    expect(node.versions.map((v) => [v.name, v.session])).toEqual([
      ['v1', { intraOpThreads: 2, interOpThreads: 2, executionMode: 'parallel', graphOptimizationLevel: 'all', thread: 'main' }],
      ['v2', { intraOpThreads: 1, interOpThreads: 2, executionMode: 'parallel', graphOptimizationLevel: 'basic', thread: 'main' }],
    ]);
    // One file, two sets of options: two sessions, each as onnxruntime was asked to create it.
    const [v1, v2] = node.versions;
    expect(v1?.model.session).not.toBe(v2?.model.session);
    // Both answer alike: the options change how the model runs, not what it computes.
    // (The sessions are released after the test, with the definitions: the engine is not closed.)
    const engine = createEngine([pipeline as NonNullable<typeof pipeline>]);
    const answers = new Map<string, number>();
    for (let i = 0; answers.size < 2 && i < 200; i++) {
      const result = await engine.run('demo', { id: `unit-${i}`, x: 0.5 });
      answers.set(result.decisions[0]?.version as string, result.outputs.p as number);
    }
    expect([...answers.keys()].sort()).toEqual(['v1', 'v2']);
    expect(answers.get('v2')).toBeCloseTo(answers.get('v1') as number, 6);
  });

  it('refuses more threads than it allows, before any session is made', async () => {
    await expectProblems(withSession('{ intraOpThreads: 100000 }', '{ interOpThreads: 65 }'), [
      { rule: 'shape', path: 'nodes.thin.session.intraOpThreads', line: 13, column: 32, message: 'Expected a number ≤ 64, got 100000.' },
      { rule: 'shape', path: 'nodes.thin.versions.v2.session.interOpThreads', line: 16, column: 70, message: 'Expected a number ≤ 64, got 65.' },
    ]);
  });

  it('refuses values onnxruntime does not take, saying where and what it takes', async () => {
    await expectProblems(withSession('{ intraOpThreads: 0 }', '{ executionMode: fast }'), [
      { rule: 'shape', path: 'nodes.thin.session.intraOpThreads', line: 13, column: 32, message: 'Expected a number ≥ 1, got 0.' },
      { rule: 'shape', path: 'nodes.thin.versions.v2.session.executionMode', line: 16, column: 69, message: 'Expected one of: sequential, parallel; got the string "fast".' },
    ]);
  });
});
