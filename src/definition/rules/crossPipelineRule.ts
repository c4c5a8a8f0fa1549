import type { PipelineProblem } from '../../errors/index.js';
import type { PipelineFile } from '../format.js';
import type { PipelineSource } from '../source.js';

/** `creditScore` → `CreditScore`: the prefix of a pipeline's GraphQL type names. */
export function typePrefix(pipelineName: string): string {
  return pipelineName.charAt(0).toUpperCase() + pipelineName.slice(1);
}

/**
 * All pipelines share one GraphQL schema: their query fields and type names must not collide, and
 * an enum declared in several files must have the same values everywhere.
 */
export function crossPipelineRule(pipelines: readonly { readonly file: PipelineFile; readonly source: PipelineSource }[]): PipelineProblem[] {
  const problems: PipelineProblem[] = [];
  const fields = new Map<string, string>();
  const prefixes = new Map<string, string>();
  const enums = new Map<string, { values: readonly string[]; file: string }>();
  for (const { file, source } of pipelines) {
    for (const field of [file.name, `${file.name}Batch`]) {
      const other = fields.get(field);
      if (other) problems.push(source.problem('cross-pipeline', ['name'], `Query field "${field}" is already defined by ${other}; pipeline names must be unique.`));
      else fields.set(field, source.file);
    }
    const prefix = typePrefix(file.name);
    const other = prefixes.get(prefix.toLowerCase());
    if (other && other !== source.file) {
      problems.push(source.problem('cross-pipeline', ['name'], `Pipeline "${file.name}" would generate GraphQL types named "${prefix}…", which ${other} already generates.`));
    }
    prefixes.set(prefix.toLowerCase(), source.file);
    for (const [name, values] of Object.entries(file.enums ?? {})) {
      const seen = enums.get(name);
      if (seen && seen.values.join(',') !== values.join(',')) {
        problems.push(source.problem('cross-pipeline', ['enums', name], `Enum "${name}" is declared in ${seen.file} with values ${seen.values.join(', ')}; here with ${values.join(', ')}. Enums are shared across pipelines: use one definition or another name.`, { key: true }));
      } else if (!seen) {
        enums.set(name, { values, file: source.file });
      }
    }
  }
  return problems;
}
