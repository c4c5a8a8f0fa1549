import type { Context } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { registerTelemetry, type RegisteredTelemetry } from '../../src/server/telemetry.js';
import { startServer, type RunningServer } from './server.js';

/**
 * Records every span as it starts (the in-memory exporter only sees ended spans): a test on a
 * virtual clock waits until the rows it sent are queued before it lets a batch run.
 */
export class StartedSpans implements SpanProcessor {
  readonly names: string[] = [];
  #waiters: (() => void)[] = [];

  onStart(span: Span, _parent: Context): void {
    this.names.push(span.name);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  onEnd(): void {}

  /** Resolves once `count` spans named `name` have started. */
  async waitFor(name: string, count: number): Promise<void> {
    while (this.names.filter((n) => n === name).length < count) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The SDK registered the way the server does, with every span also kept in memory. */
export interface InMemoryTelemetry {
  readonly telemetry: RegisteredTelemetry;
  readonly exporter: InMemorySpanExporter;
  readonly started: StartedSpans;
}

/**
 * Registers the SDK globally with an in-memory exporter and no other exporter (the OTEL_*
 * variables of this process are ignored). Once per test file: vitest runs each file in a process of
 * its own, and the global providers can be registered once per process.
 */
export function registerInMemoryTelemetry(): InMemoryTelemetry {
  const exporter = new InMemorySpanExporter();
  const started = new StartedSpans();
  const telemetry = registerTelemetry({ spanProcessors: [started, new SimpleSpanProcessor(exporter)], env: {} });
  return { telemetry, exporter, started };
}

/** A real HTTP server over an engine, with registered telemetry, like `tessera serve` without the CLI. */
export type TracedServer = RunningServer;

export async function startTracedServer(pipelines: string | readonly string[], options: { telemetry: RegisteredTelemetry; tracing?: boolean }): Promise<TracedServer> {
  const running = await startServer(pipelines, options);
  return {
    ...running,
    async close() {
      await running.close();
      await running.engine.rollouts.close();
    },
  };
}

/** A span's id and its parent's, as hex strings. */
export const idOf = (span: ReadableSpan): string => span.spanContext().spanId;
export const parentIdOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

/** A span tree by names: children in a canonical order (siblings start concurrently, so their order means nothing). */
export interface SpanTree {
  readonly name: string;
  readonly children: readonly SpanTree[];
}

function canonical(trees: SpanTree[]): SpanTree[] {
  const keyed = trees.map((t) => ({ t, key: JSON.stringify(t) }));
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.t);
}

/** The tree under `root` among `spans`. */
export function treeOf(spans: readonly ReadableSpan[], root: ReadableSpan): SpanTree {
  const children = spans.filter((s) => parentIdOf(s) === idOf(root) && s.spanContext().traceId === root.spanContext().traceId);
  return { name: root.name, children: canonical(children.map((child) => treeOf(spans, child))) };
}

/** Shorthand for expected trees: `tree('a', tree('b'), tree('c'))`. */
export function tree(name: string, ...children: SpanTree[]): SpanTree {
  return { name, children: canonical(children) };
}

/** The one span among `spans` that satisfies `predicate`; fails naming what there was otherwise. */
export function only(spans: readonly ReadableSpan[], predicate: (span: ReadableSpan) => boolean, what: string): ReadableSpan {
  const found = spans.filter(predicate);
  if (found.length !== 1) throw new Error(`Expected exactly one span ${what}; found ${found.length} among: ${spans.map((s) => s.name).join(', ')}`);
  return found[0] as ReadableSpan;
}

/**
 * Waits until the exporter holds spans for which `ready` is true (shadow runs end after the answer
 * is sent). Fails after `timeoutMs` with the spans it had.
 */
export async function waitForSpans(exporter: InMemorySpanExporter, ready: (spans: readonly ReadableSpan[]) => boolean, timeoutMs = 20_000): Promise<ReadableSpan[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = exporter.getFinishedSpans();
    if (ready(spans)) return spans;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for spans; have: ${spans.map((s) => s.name).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

