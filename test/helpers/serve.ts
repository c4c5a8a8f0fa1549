import { spawn, type ChildProcess } from 'node:child_process';
import { cli } from './paths.js';
import type { Response } from './server.js';

/** A running `tessera serve` process, started with its own environment. */
export interface ServeProcess {
  readonly process: ChildProcess;
  /** The GraphQL endpoint from the first stdout line. */
  readonly url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout or stderr matches `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM: a clean shutdown. Resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown at all. Resolves with the signal that ended the process. */
  kill(): Promise<NodeJS.Signals | null>;
}

/**
 * Starts `tessera serve ARGS` with `env` added to this process's environment (e.g.
 * TESSERA_ADMIN_TOKEN) and waits until it serves.
 */
export async function startServe(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [cli, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  // No server outlives the test process, whatever ends it.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  const notify = () => waiters.splice(0).forEach((wake) => wake());
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    notify();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    notify();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  void exited.then(notify);
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Timed out waiting for ${pattern}.\nstdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
      const check = () => {
        const match = out.match(pattern) ?? err.match(pattern);
        if (match) {
          clearTimeout(timer);
          resolve(match);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`tessera serve exited before ${pattern}.\nstdout:\n${out}\nstderr:\n${err}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  let url: string;
  try {
    [, url = ''] = await waitFor(/^Tessera serving .* at (http:\/\/\S+)$/m);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    process: child,
    url,
    stdout: () => out,
    stderr: () => err,
    waitFor,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return (await exited).code;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return (await exited).signal;
    },
  };
}

/** One GraphQL operation over plain fetch, with the admin token when given. */
export async function graphql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Response> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Response;
}
