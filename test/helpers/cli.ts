import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cli } from './paths.js';

/** Runs `tessera ARGS` to completion; never throws on a non-zero exit. */
export function tessera(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A long-running `tessera` process whose output is collected as it comes. */
export interface Spawned {
  readonly process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout or stderr matches `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function spawnTessera(args: readonly string[]): Spawned {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Timed out waiting for ${pattern}.\nstdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        const check = () => {
          const match = out.match(pattern) ?? err.match(pattern);
          if (match) {
            clearTimeout(timer);
            resolve(match);
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
