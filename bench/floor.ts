/**
 * (c) The GraphQL floor: graphql-js `execute` over node:http with a trivial resolver and no models,
 * through graphql-http's reference handler (parse, validate, execute per request). Run as a child.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { createHandler } from 'graphql-http/lib/use/http';

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'world' } } }),
});
const handler = createHandler({ schema });
const server = createServer((request, response) => void handler(request, response));
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
