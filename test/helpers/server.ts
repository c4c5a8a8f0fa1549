import { createClient, type Client } from 'graphql-http';
import { assertPipelines } from '../../src/definition/load.js';
import { createEngine, type Engine } from '../../src/execution/engine.js';
import { silentLogger } from '../../src/server/logger.js';
import { createServer, type TesseraServer } from '../../src/server/server.js';
import type { RegisteredTelemetry } from '../../src/server/telemetry.js';

/** A GraphQL response as a client sees it. */
export interface Response {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown>; locations?: unknown }[];
}

export interface RunningServer {
  readonly url: URL;
  readonly server: TesseraServer;
  readonly engine: Engine;
  readonly client: Client;
  query(query: string, variables?: Record<string, unknown>): Promise<Response>;
  /** A raw JSON POST, for requests that fail before execution (the client rejects non-200 answers) or that need headers of their own (a `traceparent`, say). */
  post(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; body: Response }>;
  close(): Promise<void>;
}

/** Starts a real HTTP server on an ephemeral port, with a real GraphQL-over-HTTP client. */
export async function startServer(
  pipelines: string | readonly string[],
  options: { engine?: Engine; telemetry?: RegisteredTelemetry; tracing?: boolean } = {},
): Promise<RunningServer> {
  const tracing = options.tracing === undefined ? {} : { tracing: options.tracing };
  const engine = options.engine ?? createEngine(await assertPipelines(pipelines), tracing);
  const server = createServer({ engine, logger: silentLogger, graphiql: false, ...(options.telemetry ? { telemetry: options.telemetry } : {}), ...tracing });
  const url = await server.listen(0);
  const client = createClient({ url: url.href });
  return {
    url,
    server,
    engine,
    client,
    query: (query, variables) =>
      new Promise((resolve, reject) => {
        let result: Response | undefined;
        client.subscribe(
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
    async post(query, variables, headers = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as Response };
    },
    async close() {
      client.dispose();
      await server.close();
      await engine.close();
    },
  };
}
