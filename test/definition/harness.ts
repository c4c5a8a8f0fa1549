/**
 * The one-line harness of the definition tests: write a pipeline file (and whatever else a case
 * needs) into a fresh folder, load it with `loadPipelines`, and compare the problems exactly —
 * rule, path, line, column and the whole message.
 *
 * Every folder has two links for models: `models/` (the credit-score example models) and
 * `shared/` (the real models of ../shared/data/models). Write files to other names: writing
 * through a link would change the originals, so the harness refuses to.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, onTestFinished } from 'vitest';
import { loadPipelines, releasePipelines } from '../../src/definition/load.js';
import type { PipelineDefinition } from '../../src/definition/types.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const exampleModels = path.join(repoRoot, 'examples', 'credit-score', 'models');
export const sharedModels = path.resolve(repoRoot, '../shared/data/models');

/** The name a single-file case is written under. */
export const PIPELINE_FILE = 'pipeline.yaml';

const LINKS = { models: exampleModels, shared: sharedModels } as const;

/** One expected problem; `file` defaults to `pipeline.yaml`. */
export interface ExpectedProblem {
  readonly rule: string;
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly file?: string;
}

/** A pipeline text, or file name → contents (YAML text, or bytes for model files). */
export type Files = string | Readonly<Record<string, string | Uint8Array>>;

/** The expected problems, or a function of the case folder for messages that name absolute paths. */
export type Expected = readonly ExpectedProblem[] | ((dir: string) => readonly ExpectedProblem[]);

/** Fails with a clear message when ../shared/data/models is missing: the real models are required, never skipped. */
export function requireSharedModels(): string {
  if (!existsSync(sharedModels)) {
    throw new Error(`The shared data is required: these tests load the real ONNX models in ${sharedModels} (../shared/data/models next to the repository), which is missing.`);
  }
  return sharedModels;
}

/**
 * Strips the indentation common to all lines and the blank first and last lines, so that a case
 * can be written as an indented template literal whose first line is line 1.
 */
export function dedent(text: string): string {
  const lines = text.replace(/^[ \t]*\n/, '').replace(/\n[ \t]*$/, '').split('\n');
  const indent = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)?.[0].length ?? 0));
  return `${lines.map((line) => line.slice(indent)).join('\n')}\n`;
}

/** A file of the case as problems print it: relative to the working directory. */
export function shownPath(dir: string, name: string): string {
  return path.relative(process.cwd(), path.join(dir, name));
}

/** Writes `files` into a new folder (removed when the test finishes) and returns the folder. */
export async function writeCase(files: Files): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tessera-definition-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [name, target] of Object.entries(LINKS)) await symlink(target, path.join(dir, name), 'dir');
  const entries = typeof files === 'string' ? { [PIPELINE_FILE]: files } : files;
  for (const [name, contents] of Object.entries(entries)) {
    const top = name.split('/')[0] ?? '';
    if (top in LINKS) throw new Error(`Test case file "${name}" would write through the ${top}/ link.`);
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, typeof contents === 'string' && name.endsWith('.yaml') ? dedent(contents) : contents);
  }
  return dir;
}

/** Loads the case and returns its problems in the shape of `ExpectedProblem` (files relative to the case folder). */
export async function loadProblems(files: Files): Promise<{ dir: string; problems: ExpectedProblem[] }> {
  const dir = await writeCase(files);
  const result = await loadPipelines(dir);
  if (result.ok) {
    await releasePipelines(result.pipelines);
    return { dir, problems: [] };
  }
  const problems = result.problems.map(({ rule, path: at, location, message }) => ({
    rule,
    path: at,
    line: location.line,
    column: location.column,
    message,
    file: path.relative(dir, path.resolve(location.file)),
  }));
  return { dir, problems };
}

/** Loads the case and expects exactly these problems, in this order (file, line, column). */
export async function expectProblems(files: Files, expected: Expected): Promise<void> {
  const { dir, problems } = await loadProblems(files);
  const list = typeof expected === 'function' ? expected(dir) : expected;
  expect(problems).toEqual(list.map((problem) => ({ file: PIPELINE_FILE, ...problem })));
}

/** Loads the case, expects no problem, and returns the definitions (their model sessions are released after the test). */
export async function expectValid(files: Files): Promise<readonly PipelineDefinition[]> {
  const dir = await writeCase(files);
  const result = await loadPipelines(dir);
  expect(result.ok ? [] : result.problems).toEqual([]);
  if (!result.ok) throw new Error('unreachable: the problems above are not empty');
  onTestFinished(() => releasePipelines(result.pipelines));
  return result.pipelines;
}
