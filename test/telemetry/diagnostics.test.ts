import { describe, expect, it } from 'vitest';
import { diagnosticsLogger, REPEAT_INTERVAL_MS } from '../../src/server/diagnostics.js';

function recorded() {
  const lines: string[] = [];
  let clock = 1_000_000;
  const diag = diagnosticsLogger({ info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) }, () => clock);
  return { lines, diag, advance: (ms: number) => (clock += ms) };
}

describe('the OpenTelemetry SDK’s diagnostics in the server’s log', () => {
  it('writes warnings and errors, and nothing below', () => {
    const { lines, diag } = recorded();
    diag.info('exporter started');
    diag.debug('a span ended');
    diag.verbose('every detail');
    diag.warn('Dropped 37 spans because maxQueueSize reached');
    diag.error('Export failed', new Error('socket hang up'));
    expect(lines).toEqual(['warn OpenTelemetry: Dropped 37 spans because maxQueueSize reached', 'error OpenTelemetry: Export failed Error: socket hang up']);
  });

  it('writes one kind of message at most once a minute, with how often it came in between; numbers do not make a kind', () => {
    const { lines, diag, advance } = recorded();
    diag.warn('Dropped 37 spans because maxQueueSize reached');
    for (let i = 0; i < 5; i++) {
      advance(1_000);
      diag.warn(`Dropped ${100 + i} spans because maxQueueSize reached`);
    }
    diag.error('connect ECONNREFUSED 127.0.0.1:4318');
    expect(lines).toEqual(['warn OpenTelemetry: Dropped 37 spans because maxQueueSize reached', 'error OpenTelemetry: connect ECONNREFUSED 127.0.0.1:4318']);
    advance(REPEAT_INTERVAL_MS - 5_000);
    diag.warn('Dropped 7 spans because maxQueueSize reached');
    expect(lines.at(-1)).toBe('warn OpenTelemetry: Dropped 7 spans because maxQueueSize reached (5 more times since it was last written)');
    advance(REPEAT_INTERVAL_MS);
    diag.warn('Dropped 8 spans because maxQueueSize reached');
    expect(lines.at(-1)).toBe('warn OpenTelemetry: Dropped 8 spans because maxQueueSize reached');
    expect(lines).toHaveLength(4);
  });

  it('shows an error the SDK serialized as JSON by its name and message, without the stack', () => {
    const { lines, diag } = recorded();
    // What the SDK's global error handler passes (stringifyException).
    diag.error(JSON.stringify({ stack: 'OTLPExporterError: Bad Request\n    at …', message: 'Bad Request', name: 'OTLPExporterError', code: 400 }));
    diag.error('{ not json');
    expect(lines).toEqual(['error OpenTelemetry: OTLPExporterError: Bad Request', 'error OpenTelemetry: { not json']);
  });
});
