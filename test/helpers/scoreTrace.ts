import { createHash } from 'node:crypto';
import { tree, type SpanTree } from './otel.js';

/**
 * What one traced `query Score { creditScore(input: …) { score } }` of the bundled pipeline
 * records, for an applicant with a credit history (APPLICANT is one, on repayment v1).
 */

/** The nodes `score` needs for such an applicant. */
export const SCORE_NODES = ['debtToIncome', 'loanToIncome', 'repayment', 'defaultRisk', 'affordability', 'fraud', 'score'];
/** The model run under each ONNX node among them. */
export const MODEL_RUNS: Readonly<Record<string, string>> = { repayment: 'repayment@v1', affordability: 'affordability@v1', fraud: 'fraud@v1' };
/** Operation, pipeline, the nodes, and their model runs. */
export const SCORE_SPAN_COUNT = 2 + SCORE_NODES.length + Object.keys(MODEL_RUNS).length;

/** The span tree, by name. */
export const scoreTree = (): SpanTree =>
  tree(
    'query Score',
    tree(
      'tessera.pipeline creditScore',
      ...SCORE_NODES.map((id) => (MODEL_RUNS[id] ? tree(`tessera.node ${id}`, tree(`tessera.model_run ${MODEL_RUNS[id]}`)) : tree(`tessera.node ${id}`))),
    ),
  );

/** The attributes of the operation span of a 200 answer. */
export const SCORE_OPERATION_ATTRIBUTES = {
  'http.request.method': 'POST',
  'url.path': '/graphql',
  'graphql.operation.type': 'query',
  'graphql.operation.name': 'Score',
  'http.response.status_code': 200,
};

/** The attributes of a `creditScore` pipeline span that ended without a failed node. */
export const pipelineAttributes = (requestId: string | undefined, applicantId: string) => ({
  'tessera.pipeline': 'creditScore',
  'tessera.request_id': requestId,
  'tessera.routing_key.hash': createHash('sha256').update(applicantId).digest('hex').slice(0, 16),
  'tessera.status': 'ok',
});
