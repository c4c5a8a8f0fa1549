import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';

type Yoga = YogaServerInstance<Record<string, unknown>, Record<string, unknown>>;

const ALLOWED_PARAMS = new Set(['query', 'variables', 'operationName', 'extensions']);

/**
 * Whether a request is the common case the fast path serves: `POST /graphql` with a JSON body of a
 * declared length within the limit, a JSON response acceptable, and no browser in the way (no
 * Origin, so no CORS). Everything else (GET, multipart, SSE, GraphiQL, health checks, CORS, a body
 * too large or of no declared length) goes to yoga as it is, which answers a body over the limit
 * with 413 before reading it whole.
 */
export function fastPathApplies(request: IncomingMessage, maxBodyBytes: number): boolean {
  if (request.method !== 'POST' || request.url !== '/graphql' || request.headers.origin !== undefined) return false;
  const length = request.headers['content-length'];
  if (length === undefined || !/^\d+$/.test(length) || Number(length) > maxBodyBytes) return false;
  const type = request.headers['content-type'];
  if (type !== 'application/json' && type !== 'application/json; charset=utf-8') return false;
  return responseType(request.headers.accept) !== undefined;
}

/** The response media type, as yoga picks it: the first acceptable of the two JSON types. */
function responseType(accept: string | undefined): string | undefined {
  if (accept === undefined || accept === '' || accept === '*/*') return 'application/json';
  for (const part of accept.split(',')) {
    const type = part.split(';')[0]?.trim();
    if (type === 'application/graphql-response+json') return 'application/graphql-response+json';
    if (type === 'application/json' || type === '*/*' || type === 'application/*') return 'application/json';
  }
  return undefined;
}

/**
 * Serves a JSON POST through yoga's own execution (`getResultForParams`: its plugins, context,
 * parser and validation caches, error masking) without building WHATWG Request and Response
 * objects: that adapter is most of yoga's cost per request. A request that is not a plain
 * successful-to-parse operation (bad JSON, unknown params, a request error without data) is
 * replayed through yoga's full handler, which answers it exactly as the GraphQL-over-HTTP spec
 * asks; such requests never executed, so replaying them has no side effect.
 */
export async function serveFast(yoga: Yoga, request: IncomingMessage, response: ServerResponse, beforeResponse: () => Promise<void>): Promise<void> {
  const body = await readBody(request);
  const params = parseParams(body);
  if (!params) return replay(yoga, request, response, body);
  const headers = request.headers;
  const lightRequest = {
    method: 'POST',
    url: `http://${headers.host ?? 'localhost'}/graphql`,
    headers: { get: (name: string) => (headers[name.toLowerCase()] as string | undefined) ?? null, has: (name: string) => name.toLowerCase() in headers },
  } as unknown as Request;
  const context: Record<string, unknown> = { request: lightRequest, req: request, res: response, params };
  const result = (await yoga.getResultForParams({ params, request: lightRequest }, context as never)) as ExecutionResult;
  if (result === undefined || result === null || !('data' in result) || isAsyncIterable(result)) {
    // A request error (parse, validation, variables): yoga knows the status codes. It did not execute.
    return replay(yoga, request, response, body);
  }
  await beforeResponse();
  const json = JSON.stringify(sanitize(result));
  response.writeHead(200, { 'content-type': `${responseType(headers.accept)}; charset=utf-8`, 'content-length': Buffer.byteLength(json) });
  response.end(json);
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
    });
    request.once('end', () => resolve(Buffer.concat(chunks, size)));
    request.once('error', reject);
  });
}

function parseParams(body: Buffer): { query: string; variables?: Record<string, unknown>; operationName?: string; extensions?: Record<string, unknown> } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const params = value as Record<string, unknown>;
  for (const key in params) if (!ALLOWED_PARAMS.has(key)) return undefined;
  const objectOrNull = (v: unknown) => v === undefined || v === null || (typeof v === 'object' && !Array.isArray(v));
  if (typeof params.query !== 'string' || !objectOrNull(params.variables) || !objectOrNull(params.extensions)) return undefined;
  if (params.operationName !== undefined && params.operationName !== null && typeof params.operationName !== 'string') return undefined;
  return params as ReturnType<typeof parseParams>;
}

/** What yoga's result processor does to errors: drop its internal extensions. */
function sanitize(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length && !result.extensions) return result;
  const errors = result.errors?.map((error) => {
    const json = error instanceof GraphQLError ? error.toJSON() : (error as object);
    const { http: _http, unexpected: _unexpected, ...extensions } = ((json as { extensions?: Record<string, unknown> }).extensions ?? {}) as Record<string, unknown>;
    return { ...json, ...(Object.keys(extensions).length > 0 ? { extensions } : { extensions: undefined }) };
  });
  const { http: _http, ...extensions } = (result.extensions ?? {}) as Record<string, unknown>;
  return { ...result, ...(errors ? { errors: errors as never } : {}), extensions: Object.keys(extensions).length > 0 ? extensions : undefined } as ExecutionResult;
}

/** Hands a request whose body was read to yoga's full handler. */
async function replay(yoga: Yoga, request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value;
  const answer = await yoga.fetch(`http://${request.headers.host ?? 'localhost'}${request.url ?? '/graphql'}`, { method: request.method ?? 'POST', headers, body }, { req: request, res: response });
  const out: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    out[name] = value;
  });
  response.writeHead(answer.status, out);
  response.end(Buffer.from(await answer.arrayBuffer()));
}

function isAsyncIterable(value: unknown): boolean {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}
