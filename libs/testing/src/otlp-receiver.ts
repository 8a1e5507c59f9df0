import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenOnLoopback } from './server';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  readonly service: string;
  readonly serviceVersion?: string;
  /** Every attribute of the span's resource. */
  readonly resource: Readonly<Record<string, unknown>>;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** One export request as it arrived: where, how encoded, with which headers, how many spans. */
export interface ReceivedExport {
  readonly path: string;
  readonly contentType: string;
  readonly headers: IncomingHttpHeaders;
  readonly spanCount: number;
  /** When it arrived, and, for a receiver that never answers, when the exporter gave up on it. */
  readonly receivedAt: number;
  abandonedAt?: number;
}

export interface OtlpReceiverOptions {
  /** Never answer (an overloaded collector): exporters must give up by their own timeout. */
  readonly hang?: boolean;
}

interface OtlpAttribute {
  readonly key: string;
  readonly value: unknown;
}
interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: readonly OtlpAttribute[];
}
interface OtlpRequest {
  readonly resourceSpans: readonly {
    readonly resource: readonly OtlpAttribute[];
    readonly spans: readonly OtlpSpan[];
  }[];
}

/**
 * An in-process OTLP/HTTP receiver that keeps every span it is sent, in either encoding the SDK's
 * HTTP exporters use (`http/protobuf`, its default, and `http/json`), and every export request's
 * path, content type and headers, for tests that check traces and the exporter's settings end to
 * end. Any path is accepted, so a test can see where an exporter sent its spans.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly exports: ReceivedExport[] = [];
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      const receivedAt = Date.now();
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const contentType = String(req.headers['content-type'] ?? '');
        const body = Buffer.concat(chunks);
        const request = contentType.includes('json') ? fromJson(JSON.parse(body.toString('utf8'))) : fromProtobuf(body);
        const received: ReceivedExport = {
          path: (req.url ?? '/').split('?', 1)[0] ?? '/',
          contentType,
          headers: req.headers,
          spanCount: request.resourceSpans.reduce((sum, r) => sum + r.spans.length, 0),
          receivedAt,
        };
        receiver.exports.push(received);
        receiver.#accept(request);
        if (options.hang) {
          res.once('close', () => (received.abandonedAt = Date.now()));
          return;
        }
        res
          .writeHead(200, { 'content-type': contentType || 'application/json' })
          .end(contentType.includes('json') ? '{}' : '');
      });
    });
    const receiver = new OtlpReceiver(server);
    await listenOnLoopback(server);
    return receiver;
  }

  /** The value for OTEL_EXPORTER_OTLP_ENDPOINT. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Waits until a span matching `predicate` has arrived. */
  async waitFor(predicate: (span: ReceivedSpan) => boolean, timeoutMs = 10_000): Promise<ReceivedSpan> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.spans.find(predicate);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(
          `no matching span within ${timeoutMs} ms; got ${this.spans.map((s) => `${s.service}:${s.name}`).join(', ')}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(request: OtlpRequest) {
    for (const { resource: resourceAttributes, spans } of request.resourceSpans) {
      const resource = attributesOf(resourceAttributes);
      for (const span of spans) {
        this.spans.push({
          service: String(resource['service.name']),
          serviceVersion: resource['service.version'] as string | undefined,
          resource,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId || undefined,
          name: span.name,
          kind: span.kind,
          attributes: attributesOf(span.attributes),
        });
      }
    }
  }
}

const attributesOf = (attributes: readonly OtlpAttribute[]) =>
  Object.fromEntries(attributes.map((a) => [a.key, a.value]));

// The JSON encoding, as `@opentelemetry/exporter-trace-otlp-http` sends it (ids in hex).
interface JsonValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
type JsonAttributes = { key: string; value: JsonValue }[] | undefined;

const jsonAttributes = (attributes: JsonAttributes): OtlpAttribute[] =>
  (attributes ?? []).map(({ key, value }) => ({
    key,
    value:
      value.stringValue ??
      (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue)),
  }));

function fromJson(body: {
  resourceSpans?: {
    resource?: { attributes?: JsonAttributes };
    scopeSpans?: { spans?: Record<string, unknown>[] }[];
  }[];
}): OtlpRequest {
  return {
    resourceSpans: (body.resourceSpans ?? []).map((resourceSpans) => ({
      resource: jsonAttributes(resourceSpans.resource?.attributes),
      spans: (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
        (scope.spans ?? []).map((span) => ({
          traceId: String(span['traceId']),
          spanId: String(span['spanId']),
          parentSpanId: span['parentSpanId'] as string | undefined,
          name: String(span['name']),
          kind: Number(span['kind']),
          attributes: jsonAttributes(span['attributes'] as JsonAttributes),
        })),
      ),
    })),
  };
}

// The protobuf encoding (opentelemetry/proto/collector/trace/v1), read field by field: only what
// the tests look at (resources, span ids, names, kinds, attributes), everything else skipped.
type Fields = Map<number, (bigint | Buffer)[]>;

function fieldsOf(buffer: Buffer): Fields {
  const fields: Fields = new Map();
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[offset++];
      if (byte === undefined) throw new Error('truncated protobuf');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (offset < buffer.length) {
    const tag = varint();
    const field = Number(tag >> 3n);
    let value: bigint | Buffer;
    switch (Number(tag & 7n)) {
      case 0:
        value = varint();
        break;
      case 1:
        value = buffer.subarray(offset, (offset += 8));
        break;
      case 2: {
        const length = Number(varint());
        value = buffer.subarray(offset, (offset += length));
        break;
      }
      case 5:
        value = buffer.subarray(offset, (offset += 4));
        break;
      default:
        throw new Error(`unsupported protobuf wire type in tag ${tag}`);
    }
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const messages = (fields: Fields, field: number): Fields[] =>
  (fields.get(field) ?? []).map((value) => fieldsOf(value as Buffer));
const bytes = (fields: Fields, field: number): Buffer | undefined => fields.get(field)?.[0] as Buffer | undefined;
const text = (fields: Fields, field: number): string => bytes(fields, field)?.toString('utf8') ?? '';

function protobufValue(value: Fields): unknown {
  if (value.has(1)) return text(value, 1);
  if (value.has(2)) return value.get(2)?.[0] === 1n;
  if (value.has(3)) return Number(BigInt.asIntN(64, value.get(3)?.[0] as bigint));
  if (value.has(4)) return (value.get(4)?.[0] as Buffer).readDoubleLE(0);
  return undefined;
}

const protobufAttributes = (fields: Fields, field: number): OtlpAttribute[] =>
  messages(fields, field).map((keyValue) => ({
    key: text(keyValue, 1),
    value: protobufValue(messages(keyValue, 2)[0] ?? new Map()),
  }));

function fromProtobuf(body: Buffer): OtlpRequest {
  return {
    resourceSpans: messages(fieldsOf(body), 1).map((resourceSpans) => ({
      resource: protobufAttributes(messages(resourceSpans, 1)[0] ?? new Map(), 1),
      spans: messages(resourceSpans, 2).flatMap((scopeSpans) =>
        messages(scopeSpans, 2).map((span) => ({
          traceId: bytes(span, 1)?.toString('hex') ?? '',
          spanId: bytes(span, 2)?.toString('hex') ?? '',
          parentSpanId: bytes(span, 4)?.toString('hex'),
          name: text(span, 5),
          kind: Number(span.get(6)?.[0] ?? 0n),
          attributes: protobufAttributes(span, 9),
        })),
      ),
    })),
  };
}
