import type { PipelineProblem } from '../../errors/index.js';
import type { PipelineFile } from '../format.js';
import type { DocPath, PipelineSource } from '../source.js';

/** What a structural rule sees: one shape-checked pipeline file and a way to report. */
export interface RuleContext {
  readonly file: PipelineFile;
  readonly source: PipelineSource;
  report(path: DocPath, message: string, options?: { key?: boolean }): void;
}

/** A rule reports problems and returns nothing; rules never throw for bad input. */
export type Rule = (context: RuleContext) => void;

/** Runs `rules` over one file, each reporting under its own name. */
export function runRules(
  rules: readonly (readonly [string, Rule])[],
  file: PipelineFile,
  source: PipelineSource,
): PipelineProblem[] {
  const problems: PipelineProblem[] = [];
  for (const [name, rule] of rules) {
    rule({ file, source, report: (path, message, options) => problems.push(source.problem(name, path, message, options)) });
  }
  return problems;
}
