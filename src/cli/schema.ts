import { writeFile } from 'node:fs/promises';
import { assertPipelines } from '../definition/load.js';
import { createEngine } from '../execution/engine.js';
import { parseCommandArgs, PIPELINES_OPTION, pipelineLocations } from './args.js';
import type { Command } from './command.js';

export const schemaCommand: Command = {
  name: 'schema',
  summary: 'Print the GraphQL SDL generated from the pipelines.',
  usage: 'tessera schema [--pipelines PATH] [--output FILE]',
  help: 'Prints the SDL that `tessera serve` would serve for these pipelines (schema.graphql is this for ./pipelines).',
  async run(args, io) {
    const { values } = parseCommandArgs(args, { ...PIPELINES_OPTION, output: { type: 'string', short: 'o' } }, false);
    const engine = createEngine(await assertPipelines(pipelineLocations(values.pipelines)));
    // graphql and the schema builder only for this command (see serve).
    const [{ printSchema }, { buildSchema }] = await Promise.all([import('graphql'), import('../graphql/schema.js')]);
    try {
      const sdl = `${printSchema(buildSchema(engine))}\n`;
      if (values.output) await writeFile(values.output, sdl);
      else io.stdout(sdl.trimEnd());
      return 0;
    } finally {
      await engine.close();
    }
  },
};
