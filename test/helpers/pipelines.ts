import { repoRoot } from './paths.js';

/**
 * A pipeline `f` of one ONNX node, `fraud` (the example's fraud model), and an expression `flag`
 * that reads it; `options` are more lines of the fraud node (batch, timeout, fallback), indented
 * four spaces.
 */
export const fraudPipeline = (options: string) => `
name: f
routingKey: id
input:
  id: { type: ID }
  days: { type: Int }
nodes:
  fraud:
    kind: onnx
    inputs:
      signals: [input.days, input.days, input.days]
      applications_30d: input.days
    outputs:
      probability: fraud_probability
    versions:
      v1: { model: ${repoRoot}/examples/credit-score/models/fraud.onnx }
${options}
  flag:
    kind: expression
    expr: fraud.probability > 0.5
outputs:
  probability: fraud.probability
  flag: flag.value
`;
