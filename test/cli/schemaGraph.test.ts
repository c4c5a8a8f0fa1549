import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tessera } from '../helpers/cli.js';
import { bundledPipelines, repoRoot } from '../helpers/paths.js';

describe('tessera schema and graph', () => {
  it('schema prints the SDL that is checked in as schema.graphql', async () => {
    const result = await tessera(['schema', '--pipelines', bundledPipelines]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(readFileSync(path.join(repoRoot, 'schema.graphql'), 'utf8'));
  });

  it('graph draws the DAG as Mermaid and DOT, branches dashed', async () => {
    const mermaid = await tessera(['graph', '--pipelines', bundledPipelines]);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toContain('flowchart LR\n');
    expect(mermaid.stdout).toContain('  repayment["repayment<br/>onnx v1, v2"]\n');
    expect(mermaid.stdout).toContain('  debtToIncome --> repayment\n');
    expect(mermaid.stdout).toContain('  thinFile -.-> defaultRisk\n');
    expect(mermaid.stdout).toContain('  score --> out_score\n');
    const dot = await tessera(['graph', '--pipelines', bundledPipelines, '--format', 'dot']);
    expect(dot.stdout).toContain('digraph "creditScore" {');
    expect(dot.stdout).toContain('  "thinFile" -> "defaultRisk" [style=dashed];');
    const bad = await tessera(['graph', '--pipelines', bundledPipelines, '--format', 'png']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format must be mermaid or dot; got "png".');
  });

  it('explains commands and rejects unknown ones and options with a suggestion', async () => {
    expect((await tessera(['--help'])).stdout).toContain('Commands:\n  serve ');
    const unknown = await tessera(['serv']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^Unknown command "serv"\. Did you mean "serve"\?/);
    const option = await tessera(['validate', '--pipeline', 'x']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^Unknown option "--pipeline"\. Did you mean "--pipelines"\?/);
  });
});
