import { GraphQLList, GraphQLNonNull, type GraphQLNullableType } from 'graphql';

/** `T!` */
export const nonNull = <T extends GraphQLNullableType>(type: T) => new GraphQLNonNull(type);

/** `[T!]!`: the lists Tessera returns never hold nulls. */
export const list = <T extends GraphQLNullableType>(type: T) => new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(type)));
