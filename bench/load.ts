/**
 * Load generation (autocannon) and process sampling (CPU and RSS from /proc) for the benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  /** CPU of the server process, in cores (1 = one core busy). */
  readonly cpuCores: number | null;
  readonly rssMb: number | null;
}

/** A server started as a child process, with the port it printed. */
export interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `node args…` and waits for the line that `pattern` captures the URL (or port) from. */
export function startChild(args: readonly string[], pattern: RegExp, toUrl: (match: RegExpMatchArray) => string, env: NodeJS.ProcessEnv = {}): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(pattern);
      if (match) {
        child.stdout?.off('data', onData);
        resolve({
          process: child,
          url: toUrl(match),
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before it was ready:\n${output}`)));
  });
}

function cpuTicks(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Resident memory of a process in MB, from /proc. */
export function rssMb(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Runs autocannon against `url` with rotating bodies and measures the server process too. */
export async function load(options: {
  url: string;
  bodies: readonly string[];
  connections: number;
  seconds: number;
  pid?: number;
  headers?: Record<string, string>;
}): Promise<LoadResult> {
  let next = 0;
  const ticksBefore = options.pid ? cpuTicks(options.pid) : null;
  const started = performance.now();
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: options.bodies[next++ % options.bodies.length] as string }),
      },
    ],
  });
  const elapsed = (performance.now() - started) / 1000;
  const ticksAfter = options.pid ? cpuTicks(options.pid) : null;
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    cpuCores: ticksBefore !== null && ticksAfter !== null ? (ticksAfter - ticksBefore) / 100 / elapsed : null,
    rssMb: options.pid ? rssMb(options.pid) : null,
  };
}
