/**
 * The OpenTelemetry SDK reports its trouble (an export that failed, spans dropped because the
 * export queue was full, an attribute it refused) through its `diag` logger, which says nothing
 * until one is registered: an unreachable collector would lose every span without a word.
 */
import { inspect } from 'node:util';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import type { Logger } from './logger.js';

/** How often one kind of message is written at most. */
export const REPEAT_INTERVAL_MS = 60_000;

/** Kinds of message remembered at most; beyond it the oldest is forgotten. */
const MAX_KINDS = 256;

/**
 * Writes the SDK's warnings and errors to `logger`, prefixed `OpenTelemetry:`. A message that recurs
 * (a collector that is down fails every export) is written at most once a minute: its first time
 * at once, then, a minute later, how many more times it came in that minute. Messages that differ
 * only in their numbers and hex ids (counts, ports, trace ids) are one kind.
 */
export function forwardDiagnostics(logger: Logger): void {
  diag.setLogger(diagnosticsLogger(logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}

/** The `DiagLogger` that `forwardDiagnostics` registers. */
export function diagnosticsLogger(logger: Logger): DiagLogger {
  /** Per kind of message, while it is being held back: how many more came since it was written. */
  const held = new Map<string, { level: 'warn' | 'error'; text: string; more: number }>();
  const open = (kind: string, level: 'warn' | 'error', text: string) => {
    const entry = { level, text, more: 0 };
    held.set(kind, entry);
    // A minute on, the count of what was held back, if anything was; then the kind is free again.
    setTimeout(() => {
      if (held.get(kind) === entry) held.delete(kind);
      if (entry.more > 0) logger[level](`OpenTelemetry: ${entry.text} (${entry.more} more time${entry.more === 1 ? '' : 's'} in the last minute)`);
    }, REPEAT_INTERVAL_MS).unref();
  };
  const write = (level: 'warn' | 'error', message: unknown, args: unknown[]) => {
    const text = [message, ...args].map(describe).join(' ');
    const kind = `${level} ${text.replace(/\b[0-9a-f]{8,}\b/gi, '#').replace(/\d+/g, '#')}`;
    const entry = held.get(kind);
    if (entry) {
      entry.more++;
      entry.text = text;
      return;
    }
    if (held.size >= MAX_KINDS) held.delete(held.keys().next().value as string);
    open(kind, level, text);
    logger[level](`OpenTelemetry: ${text}`);
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
 * and all (`stringifyException`): its name and message are what an operator needs, or its code
 * when the message is empty (Node's AggregateError for a host with several addresses).
 */
function describe(value: unknown): string {
  if (value instanceof Error) return errorText(value.name, value.message, (value as { code?: unknown }).code);
  if (typeof value === 'string') {
    if (!value.startsWith('{')) return value;
    try {
      const parsed = JSON.parse(value) as { name?: unknown; message?: unknown; code?: unknown };
      if (typeof parsed.message === 'string') return errorText(parsed.name, parsed.message, parsed.code);
    } catch {
      // Not JSON after all: as it is.
    }
    return value;
  }
  try {
    return typeof value === 'object' && value !== null ? inspect(value, { depth: 2, breakLength: Infinity }) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function errorText(name: unknown, message: string, code: unknown): string {
  const detail = message || (typeof code === 'string' || typeof code === 'number' ? String(code) : '(no message)');
  return typeof name === 'string' && name !== '' ? `${name}: ${detail}` : detail;
}
