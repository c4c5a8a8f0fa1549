import { createRequire } from 'node:module';
import { createContextKey, isValidSpanId, isValidTraceId, ROOT_CONTEXT, type Attributes } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { memoizeFrozen, memoizeFrozenAttributeHashes } from '../../src/server/attributeHashing.js';
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

describe('the metrics SDK’s attribute hashing', () => {
  it('is replaced in the SDK this package pins: an upgrade that moves it fails here, not silently', () => {
    expect(memoizeFrozenAttributeHashes()).toBe(true);
    const utils = createRequire(import.meta.url)('@opentelemetry/sdk-metrics/build/src/utils.js') as { hashAttributes: (a: Attributes) => string };
    const frozen = Object.freeze({ b: '2', a: 1 });
    // Still the SDK's own key (sorted pairs), through the memoizing wrapper.
    expect(utils.hashAttributes(frozen)).toBe('[["a",1],["b","2"]]');
    expect(Symbol.for('tessera.memoizedAttributeHash') in utils.hashAttributes).toBe(true);
    expect(memoizeFrozenAttributeHashes()).toBe(true);
  });

  it('hashes a frozen set of primitives once, and every other set on every call', () => {
    const calls: Attributes[] = [];
    const hash = memoizeFrozen((attributes) => {
      calls.push(attributes);
      return Object.entries(attributes)
        .map(([key, value]) => `${key}=${String(value)}`)
        .sort()
        .join(',');
    });
    const frozen = Object.freeze({ node: 'fraud', version: 'v1' });
    const open = { node: 'fraud', version: 'v1' };
    const withArray = Object.freeze({ node: 'fraud', versions: ['v1'] });
    const withGetter = Object.freeze({ node: 'fraud', get version() { return 'v1'; } });
    const withBigInt = Object.freeze({ node: 'fraud', rows: 1n }) as unknown as Attributes;
    for (let i = 0; i < 3; i++) for (const attributes of [frozen, open, withArray, withGetter, withBigInt]) hash(attributes);
    expect(calls.filter((a) => a === frozen)).toHaveLength(1);
    expect(calls.filter((a) => a === open)).toHaveLength(3);
    expect(calls.filter((a) => a === withArray)).toHaveLength(3);
    expect(calls.filter((a) => a === withGetter)).toHaveLength(3);
    expect(calls.filter((a) => a === withBigInt)).toHaveLength(3);
    // An unfrozen set that changes gets its new key.
    open.version = 'v2';
    expect(hash(open)).toContain('v2');
    expect(hash(frozen)).toContain('v1');
  });

  it('keeps series apart and together as before: equal sets share one, frozen or not', async () => {
    memoizeFrozenAttributeHashes();
    const reader = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [reader] });
    const histogram = provider.getMeter('test').createHistogram('hashing_test');
    const v1 = Object.freeze({ node: 'fraud', version: 'v1' });
    histogram.record(1, v1);
    histogram.record(2, v1);
    histogram.record(3, { version: 'v1', node: 'fraud' });
    histogram.record(4, Object.freeze({ node: 'fraud', version: 'v2' }));
    const { resourceMetrics } = await reader.collect();
    const points = resourceMetrics.scopeMetrics[0]?.metrics[0]?.dataPoints as { attributes: Attributes; value: { count: number; sum: number } }[];
    expect(points.map((p) => [p.attributes.version, p.value.count, p.value.sum]).sort()).toEqual([
      ['v1', 3, 6],
      ['v2', 1, 4],
    ]);
    await provider.shutdown();
  });

  it('is what the SDK’s histograms use: a frozen set is read for its key once, not on each of 100 recordings', async () => {
    memoizeFrozenAttributeHashes();
    const provider = new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] });
    const histogram = provider.getMeter('test').createHistogram('hashing_use_test');
    // A frozen set behind a proxy that counts how often its keys are listed (hashing lists them).
    let listed = 0;
    const attributes = new Proxy(Object.freeze({ node: 'fraud', version: 'v1' }), {
      ownKeys: (target) => {
        listed++;
        return Reflect.ownKeys(target);
      },
    });
    for (let i = 0; i < 100; i++) histogram.record(i, attributes);
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThan(10);
    await provider.shutdown();
  });
});
