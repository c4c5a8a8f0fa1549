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
