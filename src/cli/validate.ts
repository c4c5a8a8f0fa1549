import { formatProblem } from '../errors/index.js';
import { loadPipelines, releasePipelines } from '../definition/load.js';
import { parseCommandArgs, PIPELINES_OPTION, pipelineLocations } from './args.js';
import type { Command } from './command.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check pipeline files and their models; print every problem.',
  usage: 'tessera validate [PATH ...] [--pipelines PATH]',
  help: `Checks every pipeline file in the given folders or files (default: --pipelines, TESSERA_PIPELINES or ./pipelines):
YAML syntax, unknown keys, names, references, cycles, routing, types between nodes and each ONNX
model's signature. Prints every problem as FILE:LINE:COLUMN PATH: MESSAGE and exits 1 if there is one.`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, PIPELINES_OPTION);
    const result = await loadPipelines(positionals.length > 0 ? positionals : pipelineLocations(values.pipelines));
    if (!result.ok) {
      for (const problem of result.problems) io.stdout(formatProblem(problem));
      io.stderr(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} found.`);
      return 1;
    }
    for (const pipeline of result.pipelines) {
      const versions = pipeline.nodes.reduce((sum, node) => sum + node.versions.length, 0);
      io.stdout(`ok ${pipeline.name} (${pipeline.file}): ${pipeline.nodes.length} nodes, ${versions} versions, ${pipeline.outputs.length} outputs`);
      for (const node of pipeline.nodes) {
        for (const model of node.kind === 'onnx' ? node.versions : []) io.stdout(`   ${node.id}@${model.name} ${model.model.path} sha256:${model.sha256}`);
      }
    }
    await releasePipelines(result.pipelines);
    return 0;
  },
};
