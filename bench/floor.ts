/**
 * (c) The GraphQL floor: graphql-js over node:http with a trivial resolver and no models: read the
 * body, parse and validate the query (cached per query text, as any serious server does), execute,
 * answer JSON. Nothing else. Run as a child process.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execute, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, validate, type DocumentNode } from 'graphql';

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'world' } } }),
});
const documents = new Map<string, DocumentNode>();
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const { query, variables } = JSON.parse(Buffer.concat(chunks).toString()) as { query: string; variables?: Record<string, unknown> };
    let document = documents.get(query);
    if (!document) {
      document = parse(query);
      const errors = validate(schema, document);
      if (errors.length > 0) {
        response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors }));
        return;
      }
      documents.set(query, document);
    }
    void Promise.resolve(execute({ schema, document, variableValues: variables ?? null })).then((result) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    });
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
