import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/execution/engine.js';
import { PipelineRun } from '../../src/execution/run.js';
import type { NodeExecutor, NodeOutputs } from '../../src/nodes/types.js';
import type { PipelinePlan } from '../../src/plan/plan.js';
import { createInstruments } from '../../src/telemetry/instruments.js';
import { loadYaml } from '../routing/simulation/harness.js';

// c reads a and b; the switch s sends big inputs to x, which reads a, and the others to b.
const engine = createEngine(
  await loadYaml(`
name: sched
routingKey: id
input:
  id: { type: ID }
  n: { type: Int }
nodes:
  a: { kind: expression, expr: "1.0" }
  b: { kind: expression, expr: "2.0" }
  c: { kind: expression, expr: "a.value + b.value" }
  x: { kind: expression, expr: "a.value * 10.0" }
  s:
    kind: switch
    cases:
      - when: input.n > 5
        then: x
    default: b
outputs:
  c: c.value
  s: s.value
`),
);
afterAll(() => engine.close());
const telemetry = { tracing: false, instruments: createInstruments() };

/** A promise to settle by hand. */
function deferred() {
  let resolve!: (outputs: NodeOutputs) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<NodeOutputs>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/**
 * The pipeline's plan with a, b and x answering only when the test says so; every execution is
 * logged by node id.
 */
function controlled() {
  const plan = engine.plan('sched');
  const pending = { a: deferred(), b: deferred(), x: deferred() };
  const executions: string[] = [];
  const nodes = plan.nodes.map((node) => {
    const id = node.def.id;
    const slow = pending[id as keyof typeof pending];
    const executor: NodeExecutor = {
      execute(version, scope) {
        executions.push(id);
        return slow ? slow.promise : node.executor.execute(version, scope);
      },
    };
    return { ...node, executor };
  });
  return { plan: { ...plan, nodes } as PipelinePlan, pending, executions };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('a run schedules nodes by their dependencies', () => {
  it('starts a node once, when the last of its running dependencies finishes, and settles once', async () => {
    const { plan, pending, executions } = controlled();
    const run = new PipelineRun(plan, { id: 'u', n: 1 }, telemetry);
    let settled = 0;
    run.start([plan.indexOf('c')]);
    run.whenSettled(() => settled++);
    expect(executions).toEqual(['a', 'b']);
    pending.b.resolve({ value: 2 });
    await tick();
    expect(executions).toEqual(['a', 'b']);
    expect(run.busy).toBe(true);
    pending.a.resolve({ value: 1 });
    await tick();
    expect(executions).toEqual(['a', 'b', 'c']);
    expect(run.outputs(plan.indexOf('c'))).toEqual({ value: 3 });
    expect(run.busy).toBe(false);
    expect(settled).toBe(1);
  });

  it('fails a waiting node with UPSTREAM_FAILED once its other dependencies have finished, and still settles', async () => {
    const { plan, pending, executions } = controlled();
    const run = new PipelineRun(plan, { id: 'u', n: 1 }, telemetry);
    run.start([plan.indexOf('c')]);
    pending.a.reject(new Error('model exploded'));
    await tick();
    expect(run.busy).toBe(true);
    expect(run.error(plan.indexOf('c'))).toBeUndefined();
    pending.b.resolve({ value: 2 });
    await run.settled();
    expect(executions).toEqual(['a', 'b']);
    expect(run.error(plan.indexOf('a'))?.message).toBe('Node "a" (version v1) failed: model exploded');
    expect(run.error(plan.indexOf('c'))).toMatchObject({ code: 'UPSTREAM_FAILED', message: 'Node "c" did not run: node "a" (version v1) failed: model exploded', details: { node: 'c', failedNode: 'a' } });
    expect(run.outputs(plan.indexOf('b'))).toEqual({ value: 2 });
  });

  it('names the node that failed and why in every error downstream of it, however far', async () => {
    const engine = createEngine(
      await loadYaml(
        'name: chain\nroutingKey: id\ninput:\n  id: { type: ID }\n  x: { type: Float }\nnodes:\n' +
          '  first: { kind: expression, expr: "input.x / 0.0" }\n  second: { kind: expression, expr: "first.value + 1.0" }\n  third: { kind: expression, expr: "second.value * 2.0" }\n' +
          'outputs:\n  third: third.value\n',
      ),
    );
    const result = await engine.run('chain', { id: 'u', x: 1 });
    expect(result.errors).toEqual([
      { output: 'third', code: 'UPSTREAM_FAILED', message: 'Node "third" did not run: node "first" (version v1) failed: result is Infinity, not a finite number' },
    ]);
    await engine.close();
  });

  it('a switch that picks a branch still waiting for its own dependency answers when the branch does', async () => {
    const { plan, pending, executions } = controlled();
    const run = new PipelineRun(plan, { id: 'u', n: 9 }, telemetry);
    run.start([plan.indexOf('a'), plan.indexOf('s')]);
    // a runs; s picks x, which waits for a.
    expect(executions).toEqual(['a', 's']);
    const demanded = run.demand(plan.indexOf('s'));
    expect(demanded).toBeInstanceOf(Promise);
    pending.a.resolve({ value: 1 });
    await tick();
    expect(executions).toEqual(['a', 's', 'x']);
    pending.x.resolve({ value: 10 });
    await expect(demanded).resolves.toEqual({ value: 10, branch: 'x' });
    expect(run.busy).toBe(false);
    expect(run.decisions.map((d) => d.node)).toEqual(['a', 's', 'x']);
  });
});
