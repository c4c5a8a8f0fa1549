import { createContextKey, isValidSpanId, isValidTraceId, ROOT_CONTEXT } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { PooledIdGenerator, SynchronousContextManager } from '../../src/server/telemetry.js';

describe('the server’s id generator', () => {
  it('hands out valid, distinct trace and span ids across pool refills', () => {
    const ids = new PooledIdGenerator();
    const spans = Array.from({ length: 50_000 }, () => ids.generateSpanId());
    const traces = Array.from({ length: 20_000 }, () => ids.generateTraceId());
    expect(spans.every((id) => /^[0-9a-f]{16}$/.test(id) && isValidSpanId(id))).toBe(true);
    expect(traces.every((id) => /^[0-9a-f]{32}$/.test(id) && isValidTraceId(id))).toBe(true);
    expect(new Set(spans).size).toBe(spans.length);
    expect(new Set(traces).size).toBe(traces.length);
    // Roughly uniform: each hex digit about 1/16 of the first digits.
    const firsts = new Map<string, number>();
    for (const id of spans) firsts.set(id[0] as string, (firsts.get(id[0] as string) ?? 0) + 1);
    expect(firsts.size).toBe(16);
    for (const count of firsts.values()) expect(Math.abs(count / spans.length - 1 / 16)).toBeLessThan(0.01);
  });
});

describe('the server’s synchronous context manager', () => {
  const key = createContextKey('test');
  const a = ROOT_CONTEXT.setValue(key, 'a');
  const b = ROOT_CONTEXT.setValue(key, 'b');

  it('makes a context active for the call it wraps, nested, and restores the previous one even on a throw', () => {
    const manager = new SynchronousContextManager();
    const seen: unknown[] = [];
    manager.with(a, () => {
      seen.push(manager.active().getValue(key));
      expect(() =>
        manager.with(b, () => {
          seen.push(manager.active().getValue(key));
          throw new Error('inner');
        }),
      ).toThrow('inner');
      seen.push(manager.active().getValue(key));
    });
    seen.push(manager.active().getValue(key));
    expect(seen).toEqual(['a', 'b', 'a', undefined]);
  });

  it('passes this and the arguments through, and binds functions to a context', () => {
    const manager = new SynchronousContextManager();
    const self = { n: 2 };
    expect(manager.with(a, function (this: typeof self, x: number) { return this.n * x; }, self, 21)).toBe(42);
    const bound = manager.bind(b, () => manager.active().getValue(key));
    expect(bound()).toBe('b');
    expect(manager.active()).toBe(ROOT_CONTEXT);
    const notAFunction = { x: 1 };
    expect(manager.bind(a, notAFunction)).toBe(notAFunction);
  });
});
