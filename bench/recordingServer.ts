/**
 * `tessera serve` as the CLI sets it up (SQLite state, rollouts, the engine, the server, the
 * registered telemetry), except that every span goes to a batch processor over an exporter that
 * drops it: what recording the spans costs before anything is encoded or sent. Run by
 * `npm run bench` as measurement (j).
 *
 *   node --import tsx bench/recordingServer.ts STATE_FILE   → prints "serving at URL"
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import type * as Library from '../src/index.js';
import type * as CliState from '../src/cli/state.js';
import type * as Rollouts from '../src/routing/rollouts/index.js';
import type * as Server from '../src/server/server.js';
import type * as Telemetry from '../src/server/telemetry.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (file: string) => pathToFileURL(path.join(root, 'dist', file)).href;
// The built code, as `tessera serve` runs it (and in production mode, as the CLI sets it).
process.env.NODE_ENV ??= 'production';
const { registerTelemetry } = (await import(dist('server/telemetry.js'))) as typeof Telemetry;
const { createServer } = (await import(dist('server/server.js'))) as typeof Server;
const { openStore } = (await import(dist('cli/state.js'))) as typeof CliState;
const lib = (await import(dist('index.js'))) as typeof Library;
const { RolloutManager } = (await import(dist('routing/rollouts/index.js'))) as typeof Rollouts;

const discard: SpanExporter = {
  export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
  shutdown: async () => {},
  forceFlush: async () => {},
};
const telemetry = registerTelemetry({ env: {}, spanProcessors: [new BatchSpanProcessor(discard, { maxQueueSize: 65_536 })] });
const pipelines = await lib.assertPipelines(path.join(root, 'pipelines'));
const rollouts = new RolloutManager({ store: openStore(process.argv[2] ?? 'memory') });
await rollouts.prepare(pipelines);
telemetry.observeRollouts(() => rollouts);
const server = createServer({ engine: lib.createEngine(pipelines, { rollouts, tracing: true }), telemetry, tracing: true, graphiql: false, logger: { info() {}, warn() {}, error: console.error } });
const url = await server.listen(0);
process.stdout.write(`serving at ${url.href}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
