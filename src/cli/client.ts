import { TesseraError, type ErrorCode } from '../errors/index.js';

/** Where the server is: `--url`, else TESSERA_URL, else the default `serve` address. */
export function serverUrl(value: string | undefined): string {
  return value ?? process.env.TESSERA_URL ?? 'http://127.0.0.1:4000/graphql';
}

/**
 * Sends one GraphQL operation to a running server with the admin token (TESSERA_ADMIN_TOKEN) and
 * returns its data; a GraphQL error becomes a TesseraError with the server's code and message.
 */
export async function adminRequest<T>(url: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const token = process.env.TESSERA_ADMIN_TOKEN;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new TesseraError('NOT_FOUND', `Cannot reach the Tessera server at ${url}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}. Is \`tessera serve\` running? (--url or TESSERA_URL)`);
  }
  const body = (await response.json().catch(() => ({}))) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  const error = body.errors?.[0];
  if (error) throw new TesseraError((error.extensions?.code ?? 'INTERNAL_SERVER_ERROR') as ErrorCode, error.message);
  if (!body.data) throw new TesseraError('INTERNAL_SERVER_ERROR' as ErrorCode, `The server at ${url} answered ${response.status} without data.`);
  return body.data;
}
