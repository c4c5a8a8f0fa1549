/**
 * Imported first by the CLI, before anything loads graphql-js: the command line runs in production
 * mode unless NODE_ENV says otherwise. Outside it, graphql-js follows every failed type test
 * (`isNonNullType(objectType)` and the like, dozens per request) with a search for a second copy
 * of itself, about 3% of a served request's time.
 */
process.env.NODE_ENV ??= 'production';

export {};
