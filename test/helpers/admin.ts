import { createClient, type Client } from 'graphql-http';
import { assertPipelines } from '../../src/definition/load.js';
import { createEngine, type Engine } from '../../src/execution/engine.js';
import { RolloutManager, type Clock } from '../../src/routing/rollouts/index.js';
import { silentLogger } from '../../src/server/logger.js';
import { createServer, type TesseraServer } from '../../src/server/server.js';
import { createMemoryStore, type StateStore } from '../../src/state/index.js';
import type { Response } from './server.js';

/** A real server with rollouts over a state store and, optionally, an admin token. */
export interface AdminServer {
  readonly url: URL;
  readonly server: TesseraServer;
  readonly engine: Engine;
  readonly rollouts: RolloutManager;
  /** Runs an operation through a real GraphQL-over-HTTP client, sending `token` as the bearer token. */
  query(query: string, variables?: Record<string, unknown>, token?: string): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts a server like `tessera serve` does (rollouts prepared from a store, admin token from the
 * options), without timers: analysis and refresh run only when a test calls them.
 */
export async function startAdminServer(
  pipelines: string | readonly string[],
  options: { adminToken?: string; store?: StateStore; clock?: Clock } = {},
): Promise<AdminServer> {
  const definitions = await assertPipelines(pipelines);
  const rollouts = new RolloutManager({
    store: options.store ?? createMemoryStore(),
    analysisIntervalMs: 0,
    refreshIntervalMs: 0,
    pruneIntervalMs: 0,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await rollouts.prepare(definitions);
  const engine = createEngine(definitions, { rollouts });
  const server = createServer({ engine, logger: silentLogger, graphiql: false, ...(options.adminToken ? { adminToken: options.adminToken } : {}) });
  const url = await server.listen(0);
  const clients = new Map<string, Client>();
  const client = (token: string | undefined): Client => {
    const key = token === undefined ? 'no token' : `token ${token}`;
    let found = clients.get(key);
    if (!found) clients.set(key, (found = createClient({ url: url.href, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })));
    return found;
  };
  return {
    url,
    server,
    engine,
    rollouts,
    query: (query, variables, token) =>
      new Promise((resolve, reject) => {
        let result: Response | undefined;
        client(token).subscribe(
          { query, ...(variables ? { variables } : {}) },
          {
            next: (value) => {
              result = value as Response;
            },
            error: reject,
            complete: () => resolve(result as Response),
          },
        );
      }),
    async close() {
      for (const c of clients.values()) c.dispose();
      await server.close();
      await rollouts.close();
      await engine.close();
      await rollouts.store.close();
    },
  };
}

/** One message of a GraphQL-over-SSE stream (distinct connections mode). */
export interface StreamMessage {
  readonly event: string;
  readonly data: unknown;
}

/** A subscription read from `text/event-stream` with plain fetch. */
export interface EventStream {
  /** The HTTP status and content type of the answer. */
  readonly status: number;
  readonly contentType: string | null;
  /** The next `event:` message (comments such as the `:` keep-alive are skipped). */
  next(): Promise<StreamMessage | undefined>;
  close(): void;
}

/** Subscribes over SSE: POST with `accept: text/event-stream`, then reads the stream as it comes. */
export async function subscribe(url: URL | string, query: string, token?: string): Promise<EventStream> {
  const abort = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    signal: abort.signal,
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query }),
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let done = false;
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    async next() {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n').filter((line) => !line.startsWith(':'));
          if (lines.length === 0) continue;
          const event = lines.find((line) => line.startsWith('event:'))?.slice(6).trim() ?? 'message';
          const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
          return { event, data: data === '' ? null : (JSON.parse(data) as unknown) };
        }
        if (done) return undefined;
        const chunk = await reader.read();
        if (chunk.done) done = true;
        else buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    close() {
      abort.abort();
    },
  };
}
