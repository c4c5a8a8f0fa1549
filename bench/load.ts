/**
 * Load generation (autocannon) and process sampling (CPU and RSS from /proc) for the benchmark.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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

/** Whether wrk (a C load generator, Debian package `wrk`) is installed: it leaves more CPU to the server than autocannon. */
export const HAS_WRK = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version.
    return (error as { status?: number }).status === 1;
  }
})();

/** The load generator in use, for the report. */
export const LOAD_GENERATOR = HAS_WRK ? 'wrk 4.1 (Debian package)' : 'autocannon 9 (in the bench process)';

/**
 * Runs the load generator against `url` with rotating bodies and measures the server process too:
 * wrk when it is installed, else autocannon.
 */
export async function load(options: {
  url: string;
  bodies: readonly string[];
  connections: number;
  seconds: number;
  pid?: number;
  headers?: Record<string, string>;
}): Promise<LoadResult> {
  if (HAS_WRK) return wrk(options);
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

const scripts = new Map<readonly string[], string>();

/** A wrk Lua script that posts the bodies in turn. */
function wrkScript(bodies: readonly string[]): string {
  let file = scripts.get(bodies);
  if (!file) {
    file = path.join(mkdtempSync(path.join(tmpdir(), 'tessera-wrk-')), 'bodies.lua');
    const quoted = bodies.map((body) => `[==[${body}]==]`).join(',\n');
    writeFileSync(
      file,
      `local bodies = {\n${quoted}\n}\nlocal i = 0\nrequest = function()\n  i = i % #bodies + 1\n  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, bodies[i])\nend\n`,
    );
    scripts.set(bodies, file);
  }
  return file;
}

async function wrk(options: { url: string; bodies: readonly string[]; connections: number; seconds: number; pid?: number }): Promise<LoadResult> {
  const ticksBefore = options.pid ? cpuTicks(options.pid) : null;
  const started = performance.now();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', '-s', wrkScript(options.bodies), options.url]);
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
  });
  const elapsed = (performance.now() - started) / 1000;
  const ticksAfter = options.pid ? cpuTicks(options.pid) : null;
  const ms = (label: string) => {
    const match = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(output);
    if (!match) return Number.NaN;
    const value = Number(match[1]);
    return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
  };
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? Number.NaN),
    p50Ms: ms('50'),
    p99Ms: ms('99'),
    errors: errors ? Number(errors[1]) + Number(errors[2]) + Number(errors[3]) + Number(errors[4]) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    cpuCores: ticksBefore !== null && ticksAfter !== null ? (ticksAfter - ticksBefore) / 100 / elapsed : null,
    rssMb: options.pid ? rssMb(options.pid) : null,
  };
}
