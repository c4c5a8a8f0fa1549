import { describe, expect, it } from 'vitest';

/**
 * The package as a user imports it, through its own name and `exports` map (the built dist/, as
 * `npm ci` leaves it): the engine's entry point, and the server's telemetry set-up apart from it.
 */
describe('the package exports', () => {
  it('give the library at "tessera" and the server telemetry set-up at "tessera/telemetry"', async () => {
    const library = (await import('tessera')) as Record<string, unknown>;
    for (const name of ['assertPipelines', 'createEngine', 'createServer', 'Attr', 'Metric', 'SpanName']) expect(library[name], name).toBeDefined();
    expect((library.Attr as Record<string, string>).routingKeyHash).toBe('tessera.routing_key.hash');
    const telemetry = (await import('tessera/telemetry')) as Record<string, unknown>;
    expect(typeof telemetry.registerTelemetry).toBe('function');
  });
});
