/**
 * The OpenTelemetry SDK reports its trouble (an export that failed, spans dropped because the
 * export queue was full, an attribute it refused) through its `diag` logger, which says nothing
 * until one is registered: an unreachable collector would lose every span without a word.
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import type { Logger } from './logger.js';

/** How often one kind of message is written at most. */
export const REPEAT_INTERVAL_MS = 60_000;

/**
 * Writes the SDK's warnings and errors to `logger`, prefixed `OpenTelemetry:`. A message that recurs
 * (a collector that is down fails every export) is written at most once a minute, with the number
 * of times it came in between; messages that differ only in their numbers count as one.
 */
export function forwardDiagnostics(logger: Logger, now: () => number = Date.now): void {
  diag.setLogger(diagnosticsLogger(logger, now), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}

/** The `DiagLogger` that `forwardDiagnostics` registers. */
export function diagnosticsLogger(logger: Logger, now: () => number = Date.now): DiagLogger {
  const seen = new Map<string, { writtenAt: number; since: number }>();
  const write = (level: 'warn' | 'error', message: string, args: unknown[]) => {
    const text = [message, ...args].map(describe).join(' ');
    const kind = `${level} ${text.replace(/\d+/g, '#')}`;
    const at = now();
    const last = seen.get(kind);
    if (last && at - last.writtenAt < REPEAT_INTERVAL_MS) {
      last.since++;
      return;
    }
    const repeats = last && last.since > 0 ? ` (${last.since} more time${last.since === 1 ? '' : 's'} since it was last written)` : '';
    seen.set(kind, { writtenAt: at, since: 0 });
    logger[level](`OpenTelemetry: ${text}${repeats}`);
  };
  const ignore = () => {};
  return {
    error: (message, ...args) => write('error', message, args),
    warn: (message, ...args) => write('warn', message, args),
    info: ignore,
    debug: ignore,
    verbose: ignore,
  };
}

/**
 * One argument as a line of text. The SDK's error handler passes an error serialized as JSON, stack
 * and all (`stringifyException`): its name and message are what an operator needs.
 */
function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value !== 'string') return String(value);
  if (!value.startsWith('{')) return value;
  try {
    const parsed = JSON.parse(value) as { name?: unknown; message?: unknown };
    if (typeof parsed.message === 'string') return typeof parsed.name === 'string' ? `${parsed.name}: ${parsed.message}` : parsed.message;
  } catch {
    // Not JSON after all: as it is.
  }
  return value;
}
