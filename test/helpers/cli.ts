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
  /**
   * Resolves when stdout or stderr matches `pattern`; rejects when the process has ended without
   * it, or after `timeoutMs`.
   */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM: a clean shutdown. Resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown at all. Resolves with the signal that ended the process. */
  kill(): Promise<NodeJS.Signals | null>;
}

/** Starts `tessera ARGS` with `env` added to this process's environment. */
export function spawnTessera(args: readonly string[], env: Readonly<Record<string, string>> = {}): Spawned {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  // No process outlives the test process, whatever ends it.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
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
  // 'close' comes after the last output has been read, unlike 'exit'.
  let ended = false;
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      ended = true;
      process.off('exit', reap);
      resolve({ code, signal });
      notify();
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Timed out waiting for ${pattern}.\nstdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        const check = () => {
          const match = out.match(pattern) ?? err.match(pattern);
          if (match) {
            clearTimeout(timer);
            resolve(match);
          } else if (ended) {
            clearTimeout(timer);
            reject(new Error(`tessera ${args[0] ?? ''} ended before ${pattern}.\nstdout:\n${out}\nstderr:\n${err}`));
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    async stop() {
      if (running()) child.kill('SIGTERM');
      return (await closed).code;
    },
    async kill() {
      if (running()) child.kill('SIGKILL');
      return (await closed).signal;
    },
  };
}
