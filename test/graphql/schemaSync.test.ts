import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledSdl, pipelineSchemaText } from '../../scripts/generate.js';
import { repoRoot } from '../helpers/paths.js';

describe('checked-in generated files', () => {
  it('schema.graphql is the SDL of the bundled pipelines (run `npm run generate` after changing them)', async () => {
    expect(readFileSync(path.join(repoRoot, 'schema.graphql'), 'utf8')).toBe(await bundledSdl());
  });

  it('pipeline.schema.json is the JSON Schema of the pipeline format, and the bundled files reference it', () => {
    expect(readFileSync(path.join(repoRoot, 'pipeline.schema.json'), 'utf8')).toBe(pipelineSchemaText());
    expect(readFileSync(path.join(repoRoot, 'pipelines', 'credit-score.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\.\/pipeline\.schema\.json\n/);
  });
});

describe('names Tessera reserves for itself', () => {
  it('lists every type and query field of the schema that no pipeline generates', async () => {
    const { assertPipelines } = await import('../../src/definition/load.js');
    const { createEngine } = await import('../../src/execution/engine.js');
    const { buildSchema } = await import('../../src/graphql/schema.js');
    const names = await import('../../src/graphql/names.js');
    const engine = createEngine(await assertPipelines(path.join(repoRoot, 'pipelines')));
    try {
      const schema = buildSchema(engine);
      const generated = (name: string) =>
        [...engine.pipelines.values()].some(
          (plan) =>
            name.startsWith(names.typePrefix(plan.name)) ||
            plan.definition.enums.some((e) => e.name === name),
        );
      const fixed = Object.keys(schema.getTypeMap()).filter((name) => !name.startsWith('__') && !['String', 'Int', 'Float', 'Boolean', 'ID'].includes(name) && !generated(name));
      expect(fixed.filter((name) => !names.FIXED_TYPE_NAMES.includes(name))).toEqual([]);
      const fields = Object.keys(schema.getQueryType()?.getFields() ?? {}).filter((field) => !engine.pipelines.has(field.replace(/Batch$/, '')));
      expect(fields.filter((field) => !names.FIXED_QUERY_FIELDS.includes(field))).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
