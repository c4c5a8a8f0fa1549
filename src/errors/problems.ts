/** Where in a pipeline file something is: 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/**
 * One problem found while loading pipeline files. Loading reports every problem at once; each one
 * names the file position and the path inside the document (`nodes.score.inputs.income`).
 */
export interface PipelineProblem {
  /** The rule that found it, e.g. `references` or `onnx-signature`: stable, for tooling. */
  readonly rule: string;
  readonly message: string;
  /** Dotted path inside the document; empty for the document itself. */
  readonly path: string;
  readonly location: SourceLocation;
}

/** `pipelines/credit.yaml:12:7 nodes.score.inputs.income: message`, the form editors link. */
export function formatProblem(problem: PipelineProblem): string {
  const { file, line, column } = problem.location;
  const where = problem.path === '' ? '' : ` ${problem.path}:`;
  return `${file}:${line}:${column}${where} ${problem.message}`;
}

/** Orders problems by file, line and column so that reports read top to bottom. */
export function sortProblems(problems: readonly PipelineProblem[]): PipelineProblem[] {
  return [...problems].sort(
    (a, b) =>
      a.location.file.localeCompare(b.location.file) ||
      a.location.line - b.location.line ||
      a.location.column - b.location.column ||
      a.message.localeCompare(b.message),
  );
}

/** Joins path segments the way problems print them: `nodes.score.inputs.0`. */
export function joinPath(segments: readonly (string | number)[]): string {
  return segments.join('.');
}
