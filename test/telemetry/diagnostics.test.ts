import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { diagnosticsLogger, REPEAT_INTERVAL_MS } from '../../src/server/diagnostics.js';

function recorded() {
  const lines: string[] = [];
  const diag = diagnosticsLogger({ info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) });
  return { lines, diag };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

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

  it('writes a kind of message once, then a minute later how many more came; numbers and hex ids do not make a kind', () => {
    const { lines, diag } = recorded();
    diag.warn('Dropped 37 spans because maxQueueSize reached');
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(1_000);
      diag.warn(`Dropped ${100 + i} spans because maxQueueSize reached`);
    }
    diag.error('span 4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7 ended twice');
    diag.error('span 0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331 ended twice');
    expect(lines).toEqual(['warn OpenTelemetry: Dropped 37 spans because maxQueueSize reached', 'error OpenTelemetry: span 4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7 ended twice']);
    // The minute since the first is over: the counts of what was held back, with the latest text.
    vi.advanceTimersByTime(REPEAT_INTERVAL_MS);
    expect(lines.slice(2)).toEqual([
      'warn OpenTelemetry: Dropped 104 spans because maxQueueSize reached (5 more times in the last minute)',
      'error OpenTelemetry: span 0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331 ended twice (1 more time in the last minute)',
    ]);
    // Then the kind is written at once again; a kind that did not recur writes no count.
    diag.warn('Dropped 8 spans because maxQueueSize reached');
    vi.advanceTimersByTime(REPEAT_INTERVAL_MS);
    expect(lines.slice(4)).toEqual(['warn OpenTelemetry: Dropped 8 spans because maxQueueSize reached']);
  });

  it('shows an error by its name and message, or its code when the message is empty, without the stack', () => {
    const { lines, diag } = recorded();
    // What the SDK's global error handler passes (stringifyException).
    diag.error(JSON.stringify({ stack: 'OTLPExporterError: Bad Request\n    at …', message: 'Bad Request', name: 'OTLPExporterError', code: 400 }));
    // Node 20's error for a host name with several addresses, none listening.
    diag.error(JSON.stringify({ stack: 'AggregateError\n    at …', message: '', name: 'AggregateError', code: 'ECONNREFUSED' }));
    // The same, as an error object (written as the same kind, so held back).
    diag.error(Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }) as never);
    diag.error('{ not json');
    diag.warn('odd argument', Object.create(null) as object);
    expect(lines).toEqual([
      'error OpenTelemetry: OTLPExporterError: Bad Request',
      'error OpenTelemetry: AggregateError: ECONNREFUSED',
      'error OpenTelemetry: { not json',
      'warn OpenTelemetry: odd argument [Object: null prototype] {}',
    ]);
  });
});
