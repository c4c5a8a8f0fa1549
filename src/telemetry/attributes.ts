/**
 * Every span and metric attribute name Tessera writes, in one place (docs/observability.md lists
 * them). Names follow OpenTelemetry's conventions: lowercase, dot-separated, namespaced `tessera.`
 * where no semantic convention exists.
 */
export const Attr = {
  pipeline: 'tessera.pipeline',
  requestId: 'tessera.request_id',
  /**
   * sha256 of the routing key value, first 16 hex digits: follows a unit across traces without
   * writing its key. A pseudonym, not a secret: keys from a small or guessable space (`A000001`)
   * can be found again by hashing candidates.
   */
  routingKeyHash: 'tessera.routing_key.hash',
  node: 'tessera.node',
  nodeKind: 'tessera.node.kind',
  version: 'tessera.version',
  versionSha256: 'tessera.version.sha256',
  policy: 'tessera.policy',
  variant: 'tessera.variant',
  shadow: 'tessera.shadow',
  fallback: 'tessera.fallback',
  batchSize: 'tessera.batch.size',
  batchQueueWaitMs: 'tessera.batch.queue_wait_ms',
  batchComputeMs: 'tessera.batch.compute_ms',
  batchTraceId: 'tessera.batch.trace_id',
  batchSpanId: 'tessera.batch.span_id',
  errorCode: 'tessera.error.code',
  status: 'tessera.status',
  graphqlOperationName: 'graphql.operation.name',
  graphqlOperationType: 'graphql.operation.type',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
} as const;

/** The instrumentation scope of every span and metric Tessera writes (`otel_scope_name`). */
export const SCOPE = 'tessera';

/** Span names. */
export const SpanName = {
  /** The GraphQL operation; renamed `query Score` once the operation is known. */
  operation: 'graphql',
  /** The operation's span once its type (and name, if it has one) is known: `query Score`. */
  namedOperation: (type: string, name: string | undefined) => (name ? `${type} ${name}` : type),
  pipeline: (pipeline: string) => `tessera.pipeline ${pipeline}`,
  node: (node: string) => `tessera.node ${node}`,
  shadow: (node: string) => `tessera.shadow ${node}`,
  modelRun: (node: string, version: string) => `tessera.model_run ${node}@${version}`,
} as const;

/** Metric names (units in the name where Prometheus shows them). */
export const Metric = {
  requestDuration: 'tessera.request.duration',
  nodeDuration: 'tessera.node.duration',
  modelRunDuration: 'tessera.model_run.duration',
  nodeErrors: 'tessera.node.errors',
  batchSize: 'tessera.batch.size',
  queueWait: 'tessera.batch.queue_wait',
  versionRequests: 'tessera.version.requests',
  trafficShare: 'tessera.rollout.traffic_share',
  rolloutStatus: 'tessera.rollout.status',
  rolloutStep: 'tessera.rollout.step',
} as const;
