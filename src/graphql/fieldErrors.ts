import { TesseraError } from '../errors/index.js';

/**
 * Throws `error` out of a resolver: a TesseraError in its GraphQL form (its message, code and
 * details reach the client), anything else as it is (the server masks it as an unexpected error).
 */
export function rethrow(error: unknown): never {
  throw error instanceof TesseraError ? error.toGraphQLError() : error;
}
