export { didYouMean, suggestionList } from './didYouMean.js';
export { formatProblem, joinPath, sortProblems } from './problems.js';
export type { PipelineProblem, SourceLocation } from './problems.js';
export { ErrorCode, PipelineValidationError, TesseraError, invariant, unreachable } from './TesseraError.js';
