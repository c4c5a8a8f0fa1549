import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnTessera, tessera, type Spawned } from '../helpers/cli.js';
import { fixture } from '../helpers/paths.js';

async function doubled(url: string): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ ratio(input: { id: "1", count: 5, divisor: 1 }) { doubled } }' }) });
  return ((await response.json()) as { data: { ratio: { doubled: number } } }).data.ratio.doubled;
}

async function eventually<T>(probe: () => Promise<T>, expected: T, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last = await probe();
  while (last !== expected && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await probe();
  }
  return last;
}

describe('tessera serve', () => {
  let server: Spawned | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('reloads a valid edit, keeps serving through an invalid one, and stops cleanly', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-serve-'));
    const file = path.join(dir, 'ratio.yaml');
    copyFileSync(path.join(fixture('failing'), 'failing.yaml'), file);
    server = spawnTessera(['serve', '--pipelines', dir, '--port', '0', '--no-graphiql']);
    const [, url] = await server.waitFor(/Tessera serving ratio \(3 nodes\) at (http:\/\/127\.0\.0\.1:\d+\/graphql)/);
    expect(await doubled(url as string)).toBe(10);

    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('double(input.count) * 2.0', 'double(input.count) * 3.0'));
    expect(await eventually(() => doubled(url as string), 15)).toBe(15);
    await server.waitFor(/Reloaded: serving ratio \(3 nodes\)\./);

    writeFileSync(file, original.replace('double(input.count) * 2.0', 'doubel(input.count) * 2.0'));
    const [rejected] = await server.waitFor(/Reload rejected[^\n]*\n[^\n]*\n/);
    expect(rejected).toContain('Reload rejected, still serving the previous pipelines. 1 problem:');
    expect(rejected).toContain(`ratio.yaml:11:11 nodes.double.expr: The expression of node "double" has a type error: found no matching overload for 'doubel(int)'.`);
    expect(await doubled(url as string)).toBe(15);

    expect(await server.stop()).toBe(0);
    expect(server.stderr()).toContain('Shutting down: finishing open requests.');
  });

  it('does not start when a pipeline file has problems, and says which', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-serve-'));
    writeFileSync(path.join(dir, 'ratio.yaml'), readFileSync(path.join(fixture('failing'), 'failing.yaml'), 'utf8').replace('ratio: { value: ratio.value }', 'ratio: { value: ratoi.value }'));
    const result = await tessera(['serve', '--pipelines', dir, '--port', '0']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `${path.relative(process.cwd(), path.join(dir, 'ratio.yaml'))}:21:23 nodes.summary.components.ratio.value: Node "summary" reads "ratoi.value", but no node "ratoi" exists. Did you mean "ratio"?\n` +
        'Not serving: 1 problem in the pipeline files.\n',
    );
  });
});
