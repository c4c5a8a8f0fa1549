import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

/** One message type of the official OTLP protos, as protobufjs's static code compiles it. */
interface MessageType {
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  fromObject(object: object): object;
  toObject(message: object, options: Record<string, unknown>): Record<string, unknown>;
}

// otlp-proto-decoder is @opentelemetry/otlp-transformer 0.57.2 under another name: its generated
// root holds the OTLP protos compiled with protobufjs, independent of the exporter under test.
const root = createRequire(import.meta.url)('otlp-proto-decoder/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: MessageType } } } } };
};
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/** A span as an OTLP receiver sees it, flattened with its resource and scope. */
export interface ExportedSpan {
  readonly resource: Readonly<Record<string, unknown>>;
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string };
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
}

type Obj = Record<string, unknown>;
const list = (value: unknown): Obj[] => (Array.isArray(value) ? (value as Obj[]) : []);
const hex = (value: unknown): string => (value === undefined || value === null ? '' : Buffer.from(value as Uint8Array).toString('hex'));

function anyValue(value: Obj | undefined): unknown {
  if (!value) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('arrayValue' in value) return list((value.arrayValue as Obj).values).map(anyValue);
  throw new Error(`Unexpected OTLP AnyValue ${JSON.stringify(value)}`);
}

function attributes(keyValues: unknown): Record<string, unknown> {
  return Object.fromEntries(list(keyValues).map((kv) => [kv.key as string, anyValue(kv.value as Obj)]));
}

/** Flattens a decoded ExportTraceServiceRequest (protobufjs `toObject`). */
function flatten(request: Obj): ExportedSpan[] {
  return list(request.resourceSpans).flatMap((resourceSpans) => {
    const resource = attributes((resourceSpans.resource as Obj | undefined)?.attributes);
    return list(resourceSpans.scopeSpans).flatMap((scopeSpans) =>
      list(scopeSpans.spans).map((span) => ({
        resource,
        scope: ((scopeSpans.scope as Obj | undefined)?.name as string | undefined) ?? '',
        traceId: hex(span.traceId),
        spanId: hex(span.spanId),
        parentSpanId: hex(span.parentSpanId),
        name: span.name as string,
        kind: span.kind as number,
        attributes: attributes(span.attributes),
        status: { code: ((span.status as Obj | undefined)?.code as number | undefined) ?? 0, message: ((span.status as Obj | undefined)?.message as string | undefined) ?? '' },
        links: list(span.links).map((link) => ({ traceId: hex(link.traceId), spanId: hex(link.spanId) })),
      })),
    );
  });
}

/** Decodes an OTLP/HTTP protobuf body (`application/x-protobuf`). */
export function decodeOtlpProtobuf(body: Uint8Array): ExportedSpan[] {
  const message = ExportTraceServiceRequest.decode(body);
  return flatten(ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number }));
}

const ID_LENGTHS: Record<string, number> = { traceId: 32, spanId: 16, parentSpanId: 16 };

/** OTLP/JSON ids are hex (not proto3's base64): bytes for protobufjs, checked on the way. */
function idsToBytes(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => idsToBytes(item));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, idsToBytes(v, k)]));
  const length = ID_LENGTHS[key];
  if (length !== undefined && typeof value === 'string') {
    if (value === '' && key === 'parentSpanId') return new Uint8Array(0);
    if (!new RegExp(`^[0-9a-f]{${length}}$`).test(value)) throw new Error(`OTLP JSON ${key} must be ${length} lowercase hex digits; got "${value}".`);
    return Buffer.from(value, 'hex');
  }
  return value;
}

/** Every key of `json` is a field of the message that protobufjs built from it, at every depth. */
function assertKnownFields(json: unknown, message: unknown, where: string): void {
  if (Array.isArray(json)) {
    if (!Array.isArray(message) || message.length !== json.length) throw new Error(`OTLP JSON ${where}: not a repeated field.`);
    json.forEach((item, i) => assertKnownFields(item, message[i], `${where}[${i}]`));
    return;
  }
  if (typeof json !== 'object' || json === null) return;
  if (typeof message !== 'object' || message === null) throw new Error(`OTLP JSON ${where}: an object where the proto has ${typeof message}.`);
  for (const [key, value] of Object.entries(json)) {
    // Span.flags and Link.flags (fixed32, OTLP 1.1) are newer than the decoder's protos.
    if (key === 'flags' && /\.(spans|links)\[\d+\]$/.test(where) && Number.isInteger(value)) continue;
    if (!(key in message)) throw new Error(`OTLP JSON ${where}: "${key}" is not a field of the message (fields: ${Object.keys(message).join(', ')}).`);
    if (!(key in ID_LENGTHS)) assertKnownFields(value, (message as Obj)[key], `${where}.${key}`);
  }
}

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest (the http/json exporter's body, a line of a trace
 * file) through the official protos: every field must be known to them, ids hex of the right
 * length; the message is then encoded to protobuf and decoded back like a protobuf body.
 */
export function decodeOtlpJson(text: string): ExportedSpan[] {
  const json = JSON.parse(text) as unknown;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('An OTLP JSON request is an object.');
  const message = ExportTraceServiceRequest.fromObject(idsToBytes(json) as object);
  assertKnownFields(json, ExportTraceServiceRequest.toObject(message, { defaults: true, arrays: true, objects: true, longs: String, enums: Number }), 'ExportTraceServiceRequest');
  return decodeOtlpProtobuf(ExportTraceServiceRequest.encode(message).finish());
}

/** One POST an OTLP receiver got. */
export interface ReceivedExport {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** An OTLP/HTTP receiver on an ephemeral port: collects every POST, answers 200. */
export interface OtlpReceiver {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  /** Every POST, whatever its path (a Zipkin exporter can post here too). */
  readonly received: readonly ReceivedExport[];
  /** Every span received at /v1/traces so far, decoded by each body's content type. */
  spans(): ExportedSpan[];
  /** Resolves once the spans received satisfy `ready`; rejects after `timeoutMs`. */
  waitFor(ready: (spans: readonly ExportedSpan[]) => boolean, timeoutMs?: number): Promise<ExportedSpan[]>;
  close(): Promise<void>;
}

/** The spans of one export, decoded by its content type. */
export function decodeExport(received: ReceivedExport): ExportedSpan[] {
  return received.headers['content-type']?.startsWith('application/json') ? decodeOtlpJson(received.body.toString('utf8')) : decodeOtlpProtobuf(received.body);
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedExport[] = [];
  const waiters: (() => void)[] = [];
  const http = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
      const json = request.headers['content-type']?.startsWith('application/json') ?? false;
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      response.end(json ? '{}' : undefined);
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const spans = () => received.filter((r) => r.path === '/v1/traces').flatMap(decodeExport);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    spans,
    waitFor(ready, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Timed out waiting for exported spans; have: ${spans().map((s) => s.name).join(', ')}`)), timeoutMs);
        const check = () => {
          const now = spans();
          if (ready(now)) {
            clearTimeout(timer);
            resolve(now);
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    close: () =>
      new Promise((resolve, reject) => {
        http.close((error) => (error ? reject(error) : resolve()));
        http.closeAllConnections();
      }),
  };
}

/** The spans under `root` (by parent id, within its trace), as a tree of names in a canonical order. */
export interface ExportedTree {
  readonly name: string;
  readonly children: readonly ExportedTree[];
}

export function exportedTreeOf(spans: readonly ExportedSpan[], root: ExportedSpan): ExportedTree {
  const children = spans.filter((s) => s.traceId === root.traceId && s.parentSpanId === root.spanId).map((child) => exportedTreeOf(spans, child));
  const keyed = children.map((t) => ({ t, key: JSON.stringify(t) }));
  return { name: root.name, children: keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.t) };
}
