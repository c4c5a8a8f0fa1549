/**
 * Regenerates the checked-in artifacts that derive from code: `pipeline.schema.json` (from the
 * format declaration) and `schema.graphql` (the SDL of the bundled pipelines). Tests fail when
 * either is stale: run `npm run generate` after changing the format or the bundled pipelines.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { pipelineJsonSchema } from '../src/definition/format.js';
import { assertPipelines } from '../src/definition/load.js';
import { createEngine } from '../src/execution/engine.js';
import { buildSchema } from '../src/graphql/schema.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The text of pipeline.schema.json. */
export function pipelineSchemaText(): string {
  return `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`;
}

/** The text of schema.graphql for the bundled pipelines. */
export async function bundledSdl(): Promise<string> {
  const engine = createEngine(await assertPipelines(`${root}/pipelines`));
  try {
    return `${printSchema(buildSchema(engine))}\n`;
  } finally {
    await engine.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(`${root}/pipeline.schema.json`, pipelineSchemaText());
  await writeFile(`${root}/schema.graphql`, await bundledSdl());
  console.log('Wrote pipeline.schema.json and schema.graphql.');
}
