/**
 * OTLP/protobuf encoding of spans (an `ExportTraceServiceRequest`) for the server's OTLP exporter.
 *
 * It writes the same bytes as `@opentelemetry/otlp-transformer`'s serializer, field for field
 * (`test/telemetry/otlpProtobuf.test.ts` compares the two and decodes both with the official
 * protos), at a fraction of the cost, which matters at a dozen spans per request: one pass into a
 * buffer that is reused, strings and ids written by Buffer's native UTF-8 and hex codecs, and the
 * key-value pairs that repeat on every span (node, version, sha256, policy, variant) encoded once
 * and then copied.
 */
import type { Attributes, AttributeValue, HrTime, Link, SpanContext, SpanStatus } from '@opentelemetry/api';
import type { IExportTraceServiceResponse, ISerializer } from '@opentelemetry/otlp-transformer';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

// Wire types.
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

// Span flags (OTLP `SpanFlags`): the low byte is the W3C trace flags.
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;

/** The distinct values of one attribute key whose encodings are kept; past it, the key is written afresh each time. */
const CACHED_VALUES_PER_KEY = 256;
/** The distinct span names whose encodings are kept. */
const CACHED_NAMES = 1024;
/**
 * Only short strings are cached (names and values come from clients too, e.g. an operation name):
 * with the limits above, the caches hold at most a few megabytes.
 */
const CACHED_STRING_LENGTH = 200;
/** A buffer that grew past this for one large export is let go after it. */
const KEPT_BUFFER_BYTES = 4 * 1024 * 1024;

/** A protobuf writer over a growing buffer; a message's length is written when it ends. */
class Writer {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** A non-negative integer below 2^53. */
  varint(value: number): void {
    this.reserve(10);
    const buf = this.buf;
    let pos = this.pos;
    while (value > 0x7f) {
      buf[pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  /** An int64 as protobuf writes it: negative values are ten bytes of two's complement. */
  int64(value: number): void {
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) return this.varint(value);
    let bits = BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    while (bits > 0x7fn) {
      this.buf[this.pos++] = Number(bits & 0x7fn) | 0x80;
      bits >>= 7n;
    }
    this.buf[this.pos++] = Number(bits);
  }

  fixed32(value: number): void {
    this.reserve(4);
    this.pos = this.buf.writeUInt32LE(value >>> 0, this.pos);
  }

  double(value: number): void {
    this.reserve(8);
    this.pos = this.buf.writeDoubleLE(value, this.pos);
  }

  /** An `HrTime` as fixed64 nanoseconds since the epoch (beyond 2^53, so in two 32-bit halves). */
  time([seconds, nanos]: HrTime): void {
    const low16 = (seconds & 0xffff) * 1e9;
    const high = Math.floor(seconds / 0x10000) * 1e9;
    const lowWithCarry = (low16 >>> 0) + (((high & 0xffff) * 0x10000) >>> 0) + nanos;
    this.reserve(8);
    this.buf.writeUInt32LE(lowWithCarry >>> 0, this.pos);
    this.buf.writeUInt32LE((Math.floor(low16 / 0x100000000) + Math.floor(high / 0x10000) + Math.floor(lowWithCarry / 0x100000000)) >>> 0, this.pos + 4);
    this.pos += 8;
  }

  string(value: string): void {
    // Up to 42 UTF-16 units are at most 126 UTF-8 bytes: a one-byte length, written afterwards.
    if (value.length < 43) {
      this.reserve(1 + 3 * value.length);
      const written = this.buf.write(value, this.pos + 1, 'utf8');
      this.buf[this.pos] = written;
      this.pos += 1 + written;
      return;
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(length);
    this.reserve(length);
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  /** A trace or span id, given in hex, as bytes (its length is what the hex codec wrote). */
  hex(value: string): void {
    this.reserve(1 + (value.length >>> 1));
    const written = this.buf.write(value, this.pos + 1, 'hex');
    this.buf[this.pos] = written;
    this.pos += 1 + written;
  }

  /** Bytes that are already encoded, copied as they are. */
  raw(bytes: Buffer): void {
    this.reserve(bytes.length);
    this.pos += bytes.copy(this.buf, this.pos);
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** Starts a length-delimited message: one byte is kept for its length. */
  begin(field: number): number {
    this.tag(field, LENGTH_DELIMITED);
    this.reserve(1);
    return this.pos++;
  }

  end(at: number): void {
    const length = this.pos - at - 1;
    if (length < 0x80) {
      this.buf[at] = length;
      return;
    }
    let size = 1;
    while (length >= 0x80 ** size) size++;
    this.reserve(size - 1);
    this.buf.copyWithin(at + size, at + 1, this.pos);
    this.pos += size - 1;
    const end = this.pos;
    this.pos = at;
    this.varint(length);
    this.pos = end;
  }

  take(): Uint8Array {
    const bytes = Uint8Array.prototype.slice.call(this.buf, 0, this.pos);
    this.reset();
    return bytes;
  }

  reset(): void {
    this.pos = 0;
    if (this.buf.length > KEPT_BUFFER_BYTES) this.buf = Buffer.allocUnsafe(64 * 1024);
  }
}

function anyValue(w: Writer, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, LENGTH_DELIMITED);
      w.string(value);
      return;
    case 'boolean':
      w.tag(2, VARINT);
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
        w.tag(3, VARINT);
        w.int64(value);
      } else {
        w.tag(4, FIXED64);
        w.double(value);
      }
      return;
  }
  if (value instanceof Uint8Array) {
    w.tag(7, LENGTH_DELIMITED);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    const array = w.begin(5);
    for (const item of value) {
      const at = w.begin(1);
      anyValue(w, item);
      w.end(at);
    }
    w.end(array);
  } else if (typeof value === 'object' && value !== null) {
    const list = w.begin(6);
    for (const [key, item] of Object.entries(value)) {
      const at = w.begin(1);
      keyValue(w, key, item);
      w.end(at);
    }
    w.end(list);
  }
  // Anything else (undefined) is an empty AnyValue, as the reference serializer writes it.
}

function keyValue(w: Writer, key: string, value: unknown): void {
  w.tag(1, LENGTH_DELIMITED);
  w.string(key);
  const at = w.begin(2);
  anyValue(w, value);
  w.end(at);
}

/** Encodes spans as an `ExportTraceServiceRequest`; one instance per exporter (it keeps caches). */
export class SpanEncoder {
  readonly #w = new Writer();
  readonly #scratch = new Writer();
  /** Per attribute key, the encoded KeyValue of each value seen; null once the key has too many values. */
  readonly #keyValues = new Map<string, Map<AttributeValue, Buffer> | null>();
  readonly #names = new Map<string, Buffer>();

  encode(spans: readonly ReadableSpan[]): Uint8Array {
    const w = this.#w;
    // A previous encode that threw (a span whose getters failed) left its bytes behind.
    w.reset();
    this.#scratch.reset();
    // Grouped by resource, then by instrumentation scope, by identity, in order of appearance.
    const groups = new Map<ReadableSpan['resource'], Map<ReadableSpan['instrumentationScope'], ReadableSpan[]>>();
    for (const span of spans) {
      let scopes = groups.get(span.resource);
      if (!scopes) groups.set(span.resource, (scopes = new Map()));
      const list = scopes.get(span.instrumentationScope);
      if (list) list.push(span);
      else scopes.set(span.instrumentationScope, [span]);
    }
    for (const [resource, scopes] of groups) {
      const resourceSpans = w.begin(1);
      const resourceAt = w.begin(1);
      if (resource.attributes) this.#attributes(1, resource.attributes);
      w.tag(2, VARINT);
      w.varint(0);
      w.end(resourceAt);
      for (const [scope, list] of scopes) {
        const scopeSpans = w.begin(2);
        const scopeAt = w.begin(1);
        w.tag(1, LENGTH_DELIMITED);
        w.string(scope.name);
        if (scope.version) {
          w.tag(2, LENGTH_DELIMITED);
          w.string(scope.version);
        }
        w.end(scopeAt);
        for (const span of list) this.#span(span);
        if (scope.schemaUrl) {
          w.tag(3, LENGTH_DELIMITED);
          w.string(scope.schemaUrl);
        }
        w.end(scopeSpans);
      }
      if (resource.schemaUrl) {
        w.tag(3, LENGTH_DELIMITED);
        w.string(resource.schemaUrl);
      }
      w.end(resourceSpans);
    }
    return w.take();
  }

  #span(span: ReadableSpan): void {
    const w = this.#w;
    const at = w.begin(2);
    const context = span.spanContext();
    this.#ids(context);
    if (span.parentSpanContext?.spanId) {
      w.tag(4, LENGTH_DELIMITED);
      w.hex(span.parentSpanContext.spanId);
    }
    w.tag(5, LENGTH_DELIMITED);
    this.#name(span.name);
    // OTLP's SpanKind counts UNSPECIFIED as 0; the reference leaves it out then.
    if (span.kind !== undefined && span.kind !== null) {
      w.tag(6, VARINT);
      w.varint(span.kind + 1);
    }
    w.tag(7, FIXED64);
    w.time(span.startTime);
    w.tag(8, FIXED64);
    w.time(span.endTime);
    if (span.attributes) this.#attributes(9, span.attributes);
    w.tag(10, VARINT);
    w.varint(span.droppedAttributesCount);
    for (const event of span.events) this.#event(event);
    w.tag(12, VARINT);
    w.varint(span.droppedEventsCount);
    for (const link of span.links) this.#link(link);
    w.tag(14, VARINT);
    w.varint(span.droppedLinksCount);
    this.#status(span.status);
    w.tag(16, FIXED32);
    w.fixed32(flags(context.traceFlags, span.parentSpanContext?.isRemote));
    w.end(at);
  }

  /** trace_id, span_id and trace_state, fields 1–3 of a span and of a link. */
  #ids(context: SpanContext): void {
    const w = this.#w;
    w.tag(1, LENGTH_DELIMITED);
    w.hex(context.traceId);
    w.tag(2, LENGTH_DELIMITED);
    w.hex(context.spanId);
    const state = context.traceState?.serialize();
    if (state) {
      w.tag(3, LENGTH_DELIMITED);
      w.string(state);
    }
  }

  #event(event: TimedEvent): void {
    const w = this.#w;
    const at = w.begin(11);
    w.tag(1, FIXED64);
    w.time(event.time);
    w.tag(2, LENGTH_DELIMITED);
    w.string(event.name);
    if (event.attributes) this.#attributes(3, event.attributes);
    w.tag(4, VARINT);
    w.varint(event.droppedAttributesCount ?? 0);
    w.end(at);
  }

  #link(link: Link): void {
    const w = this.#w;
    const at = w.begin(13);
    this.#ids(link.context);
    if (link.attributes) this.#attributes(4, link.attributes);
    w.tag(5, VARINT);
    w.varint(link.droppedAttributesCount ?? 0);
    w.tag(6, FIXED32);
    w.fixed32(flags(link.context.traceFlags, link.context.isRemote));
    w.end(at);
  }

  #status(status: SpanStatus): void {
    const w = this.#w;
    const at = w.begin(15);
    if (status.message) {
      w.tag(2, LENGTH_DELIMITED);
      w.string(status.message);
    }
    w.tag(3, VARINT);
    w.varint(status.code);
    w.end(at);
  }

  #name(name: string): void {
    const w = this.#w;
    let bytes = this.#names.get(name);
    if (!bytes) {
      if (this.#names.size >= CACHED_NAMES || name.length > CACHED_STRING_LENGTH) return w.string(name);
      this.#scratch.string(name);
      this.#names.set(name, (bytes = Buffer.from(this.#scratch.take())));
    }
    w.raw(bytes);
  }

  #attributes(field: number, attributes: Attributes): void {
    const w = this.#w;
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue;
      const value = attributes[key];
      const bytes = this.#cachedKeyValue(key, value);
      if (bytes) {
        w.tag(field, LENGTH_DELIMITED);
        w.varint(bytes.length);
        w.raw(bytes);
      } else {
        const at = w.begin(field);
        keyValue(w, key, value);
        w.end(at);
      }
    }
  }

  /** The encoded KeyValue (without its tag and length), for a scalar value of a key with few values. */
  #cachedKeyValue(key: string, value: AttributeValue | undefined): Buffer | undefined {
    if (value === undefined || typeof value === 'object' || (typeof value === 'string' && value.length > CACHED_STRING_LENGTH)) return undefined;
    let values = this.#keyValues.get(key);
    if (values === null) return undefined;
    if (!values) this.#keyValues.set(key, (values = new Map()));
    let bytes = values.get(value);
    if (!bytes) {
      if (values.size >= CACHED_VALUES_PER_KEY) {
        this.#keyValues.set(key, null);
        return undefined;
      }
      keyValue(this.#scratch, key, value);
      values.set(value, (bytes = Buffer.from(this.#scratch.take())));
    }
    return bytes;
  }
}

function flags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | FLAGS_HAS_IS_REMOTE | (isRemote ? FLAGS_IS_REMOTE : 0);
}

/** The OTLP exporters' serializer with {@link SpanEncoder} for requests; responses as the reference decodes them. */
export function createProtobufTraceSerializer(): ISerializer<ReadableSpan[], IExportTraceServiceResponse> {
  const encoder = new SpanEncoder();
  return {
    serializeRequest: (spans) => encoder.encode(spans),
    deserializeResponse: (bytes) => ProtobufTraceSerializer.deserializeResponse(bytes),
  };
}
