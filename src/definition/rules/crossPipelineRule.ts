import type { PipelineProblem } from '../../errors/index.js';
import type { PipelineFile } from '../format.js';
import type { PipelineSource } from '../source.js';
import { FIXED_TYPE_NAMES, inputTypeName, nodeOutputsTypeName, nodesTypeName, resultTypeName, typePrefix } from '../../graphql/names.js';


/**
 * All pipelines share one GraphQL schema: their query fields and type names (also those made from
 * node ids, and enums) must not collide, and an enum declared in several files must have the same
 * values everywhere.
 */
export function crossPipelineRule(pipelines: readonly { readonly file: PipelineFile; readonly source: PipelineSource }[]): PipelineProblem[] {
  const problems: PipelineProblem[] = [];
  const names = new Map<string, string>();
  const fields = new Map<string, { pipeline: string; file: string; batch: boolean }>();
  const prefixes = new Map<string, string>();
  const enums = new Map<string, { values: readonly string[]; file: string }>();
  const outputTypes = new Map<string, string>();
  for (const { file, source } of pipelines) {
    const report = (message: string) => problems.push(source.problem('cross-pipeline', ['name'], message));
    const sameName = names.get(file.name);
    if (sameName !== undefined) {
      // One mistake, one problem: the query fields and type names clash as a consequence.
      report(`Pipeline "${file.name}" is already defined in ${sameName}; pipeline names must be unique.`);
    } else {
      names.set(file.name, source.file);
      for (const [field, batch] of [[file.name, false], [`${file.name}Batch`, true]] as const) {
        const other = fields.get(field);
        if (other) {
          report(`${batch ? 'Batch query' : 'Query'} field "${field}" is already the ${other.batch ? 'batch query' : 'query'} field of pipeline "${other.pipeline}" in ${other.file}; pipeline names must not clash.`);
        } else {
          fields.set(field, { pipeline: file.name, file: source.file, batch });
        }
      }
      const prefix = typePrefix(file.name);
      const other = prefixes.get(prefix.toLowerCase());
      if (other !== undefined) report(`Pipeline "${file.name}" would generate GraphQL types named "${prefix}…", which ${other} already generates.`);
      else prefixes.set(prefix.toLowerCase(), source.file);
      // Node output types are named from the pipeline and node ids (src/graphql/names.ts), so
      // "credit" + node "scoreX" and "creditScore" + node "x" both make CreditScoreXOutputs.
      for (const id of Object.keys(file.nodes)) {
        const type = nodeOutputsTypeName(file.name, id);
        const owner = outputTypes.get(type);
        if (owner) {
          problems.push(source.problem('cross-pipeline', ['nodes', id], `Node "${id}" would generate the GraphQL type "${type}", which ${owner} already generates; rename one of them.`, { key: true }));
        } else {
          outputTypes.set(type, `node "${id}" of pipeline "${file.name}" (${source.file})`);
        }
      }
    }
    for (const [name, values] of Object.entries(file.enums ?? {})) {
      const seen = enums.get(name);
      if (seen && seen.values.join(',') !== values.join(',')) {
        problems.push(source.problem('cross-pipeline', ['enums', name], `Enum "${name}" is declared in ${seen.file} with values ${seen.values.join(', ')}; here with ${values.join(', ')}. Enums are shared across pipelines: use one definition or another name.`, { key: true }));
      } else if (!seen) {
        enums.set(name, { values, file: source.file });
      }
    }
  }
  const generated = new Map<string, string>(outputTypes);
  for (const name of FIXED_TYPE_NAMES) generated.set(name, 'Tessera itself');
  for (const { file, source } of pipelines) {
    for (const type of [inputTypeName(file.name), resultTypeName(file.name), nodesTypeName(file.name)]) generated.set(type, `pipeline "${file.name}" (${source.file})`);
  }
  for (const { file, source } of pipelines) {
    for (const name of Object.keys(file.enums ?? {})) {
      const owner = generated.get(name);
      if (owner) problems.push(source.problem('cross-pipeline', ['enums', name], `Enum "${name}" has the name of a GraphQL type that ${owner === 'Tessera itself' ? 'Tessera itself defines' : `${owner} generates`}; rename the enum.`, { key: true }));
    }
  }
  return problems;
}
