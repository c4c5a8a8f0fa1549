import { spawnTessera, type Spawned } from './cli.js';
import type { Response } from './server.js';

/** A running `tessera serve` process, started with its own environment. */
export interface ServeProcess extends Spawned {
  /** The GraphQL endpoint from the first stdout line. */
  readonly url: string;
}

/**
 * Starts `tessera serve ARGS` with `env` added to this process's environment (e.g.
 * TESSERA_ADMIN_TOKEN) and waits until it serves.
 */
export async function startServe(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<ServeProcess> {
  const spawned = spawnTessera(['serve', ...args], env);
  try {
    const [, url = ''] = await spawned.waitFor(/^Tessera serving .* at (http:\/\/\S+)$/m);
    return { ...spawned, url };
  } catch (error) {
    await spawned.kill();
    throw error;
  }
}

/** One GraphQL operation over plain fetch, with the admin token when given. */
export async function graphql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Response> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Response;
}
