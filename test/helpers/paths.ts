import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The bundled pipelines folder. */
export const bundledPipelines = path.join(repoRoot, 'pipelines');

/** A fixture folder under test/fixtures. */
export function fixture(name: string): string {
  return path.join(repoRoot, 'test', 'fixtures', name);
}

/**
 * A file of the shared real data (`../shared/data`, see its SOURCES.md). Missing data is a test
 * failure with a clear message, never a skip.
 */
export function sharedData(relative: string): string {
  const file = path.resolve(repoRoot, '..', 'shared', 'data', relative);
  if (!existsSync(file)) {
    throw new Error(`Test data ${file} is missing: these tests need the shared data folder ../shared/data next to the repository.`);
  }
  return file;
}

/** The built CLI. */
export const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');
