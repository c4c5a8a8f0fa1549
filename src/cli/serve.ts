import { formatProblem } from '../errors/index.js';
import { loadPipelines } from '../definition/load.js';
import type { PipelineDefinition } from '../definition/types.js';
import { createEngine, type Engine } from '../execution/engine.js';
import type { createServer } from '../server/server.js';
import { watchFiles, type Watcher } from '../server/watch.js';
import { RolloutManager } from '../routing/rollouts/index.js';
import { MEMORY_STORE_MAX_DECISIONS } from '../state/index.js';
import { integerOption, parseCommandArgs, PIPELINES_OPTION, pipelineLocations, STATE_OPTION, stateLocation } from './args.js';
import { openStore } from './state.js';
import type { Command, CommandIO } from './command.js';

/**
 * How long a replaced engine stays open for requests that picked it just before the reload but
 * have not started their runs yet (still reading their bodies). Runs it has started are waited
 * for by its `close()` in any case.
 */
const DRAIN_MS = 30_000;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the pipelines over GraphQL; reload on change.',
  usage: 'tessera serve [--pipelines PATH] [--state PATH|memory] [--port N] [--host HOST] [--trace-file PATH] [--no-watch] [--no-graphiql]',
  help: `Loads and checks the pipelines (nothing starts if any problem is found), then serves GraphQL at
http://HOST:PORT/graphql, liveness at /health and readiness at /ready.
With watching on (the default), an edit to a pipeline or model file is validated first: a valid
edit is served from the next request on; an invalid one is logged and the previous pipelines keep serving.
Rollout state, decisions and outcomes live in the state store (an SQLite file; \`memory\` keeps nothing).
Mutations and subscriptions need the admin token from TESSERA_ADMIN_TOKEN (Authorization: Bearer <token>).
Traces go where the standard OTEL_* variables say (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL
http/protobuf or http/json, OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_EXPORTER otlp,zipkin,console,none, OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER) and, with --trace-file, to an OTLP JSON lines file.
Prometheus metrics at /metrics. TESSERA_TRACING=off skips the tracing code paths.
Environment: TESSERA_PIPELINES (comma-separated), TESSERA_STATE (default .tessera/state.db), TESSERA_PORT
(default 4000), TESSERA_HOST (default 127.0.0.1), TESSERA_ADMIN_TOKEN.`,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      {
        ...PIPELINES_OPTION,
        ...STATE_OPTION,
        port: { type: 'string' },
        host: { type: 'string' },
        watch: { type: 'boolean', default: true },
        graphiql: { type: 'boolean', default: true },
        'trace-file': { type: 'string' },
      },
      false,
    );
    const port = integerOption('port', values.port ?? process.env.TESSERA_PORT, 4000, 0, 65535);
    const host = values.host ?? process.env.TESSERA_HOST ?? '127.0.0.1';
    const locations = pipelineLocations(values.pipelines);
    const loaded = await loadPipelines(locations);
    if (!loaded.ok) {
      for (const problem of loaded.problems) io.stderr(formatProblem(problem));
      io.stderr(`Not serving: ${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'} in the pipeline files.`);
      return 1;
    }
    const logger = { info: io.stderr, warn: (m: string) => io.stderr(`warn: ${m}`), error: (m: string) => io.stderr(`error: ${m}`) };
    // The server, graphql-yoga and the OpenTelemetry SDK are loaded only to serve: every other
    // command starts half a second sooner without them.
    const [{ createServer }, { registerTelemetry }] = await Promise.all([import('../server/server.js'), import('../server/telemetry.js')]);
    // The SDK first: the engine's meters and tracers come from what is registered when it is made.
    const telemetry = registerTelemetry({ logger, ...(values['trace-file'] ? { traceFile: values['trace-file'] } : {}) });
    const state = stateLocation(values.state);
    const store = openStore(state);
    const rollouts = new RolloutManager({ store });
    await rollouts.prepare(loaded.pipelines);
    const adminToken = process.env.TESSERA_ADMIN_TOKEN || undefined;
    telemetry.observeRollouts(() => rollouts);
    // With no tracer registered, the tracing code paths are skipped as with TESSERA_TRACING=off.
    const tracing = telemetry.tracing && process.env.TESSERA_TRACING !== 'off';
    const server = createServer({ engine: createEngine(loaded.pipelines, { rollouts, tracing }), graphiql: values.graphiql, logger, telemetry, tracing, ...(adminToken ? { adminToken } : {}) });
    const url = await server.listen(port, host);
    io.stdout(`Tessera serving ${describe(loaded.pipelines)} at ${url.href}`);
    io.stderr(`State: ${state === 'memory' ? `in memory (nothing is kept after exit; decisions of the last ${MEMORY_STORE_MAX_DECISIONS.toLocaleString('en')} requests)` : state}. Admin operations: ${adminToken ? 'enabled' : 'disabled (set TESSERA_ADMIN_TOKEN)'}.`);
    const traces = !tracing && telemetry.tracing ? 'off (TESSERA_TRACING=off)' : telemetry.destinations.length > 0 ? telemetry.destinations.join('; ') : 'not exported (set OTEL_EXPORTER_OTLP_ENDPOINT or --trace-file)';
    io.stderr(`Traces: ${traces}. Metrics: ${new URL('/metrics', url).href}.`);
    const watcher = values.watch ? await watchPipelines(locations, loaded.pipelines, server, rollouts, io, tracing) : undefined;
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.stderr('Shutting down: finishing open requests.');
    watcher?.stop();
    await server.close();
    // The engines first, the current one and any a reload replaced less than DRAIN_MS ago: they
    // wait for runs still in flight (their clients may have gone, so the server no longer counts
    // them), whose decisions the rollouts then flush to the store.
    await Promise.all([server.engine.close(), watcher?.closeReplaced()]);
    await rollouts.close();
    await store.close();
    await telemetry.shutdown();
    return 0;
  },
};

function describe(pipelines: readonly PipelineDefinition[]): string {
  return pipelines.map((p) => `${p.name} (${p.nodes.length} nodes)`).join(', ');
}

function modelPaths(pipelines: readonly PipelineDefinition[]): string[] {
  return pipelines.flatMap((p) => p.nodes.flatMap((node) => (node.kind === 'onnx' ? node.versions.map((v) => v.model.absolutePath) : [])));
}

/** What `serve` holds of its pipeline watcher. */
interface PipelineWatcher {
  /** Stops watching. */
  stop(): void;
  /** Closes, now, the engines that reloads replaced and that are still open (each waits for its runs). */
  closeReplaced(): Promise<void>;
}

/** Reloads on change, validating first; a broken edit never replaces what is serving. */
async function watchPipelines(
  locations: readonly string[],
  initial: readonly PipelineDefinition[],
  server: ReturnType<typeof createServer>,
  rollouts: RolloutManager,
  io: CommandIO,
  tracing: boolean,
): Promise<PipelineWatcher> {
  let watcher: Watcher | undefined;
  // Engines a reload replaced, until they are closed.
  const replaced = new Set<Engine>();
  const closeReplaced = (engine: Engine) => engine.close().finally(() => replaced.delete(engine));
  let reloading: Promise<void> | undefined;
  let again = false;
  const rewatch = async (pipelines: readonly PipelineDefinition[]) => {
    watcher?.close();
    watcher = await watchFiles([...locations, ...modelPaths(pipelines)], onChange);
  };
  const reload = async () => {
    const result = await loadPipelines(locations);
    if (!result.ok) {
      io.stderr(`Reload rejected, still serving the previous pipelines. ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}:`);
      for (const problem of result.problems) io.stderr(`  ${formatProblem(problem)}`);
      return;
    }
    const previous: Engine = server.engine;
    await rollouts.prepare(result.pipelines);
    server.replaceEngine(createEngine(result.pipelines, { rollouts, tracing }));
    replaced.add(previous);
    setTimeout(() => void closeReplaced(previous), DRAIN_MS).unref();
    io.stderr(`Reloaded: serving ${describe(result.pipelines)}.`);
    await rewatch(result.pipelines);
  };
  const onChange = () => {
    if (reloading) {
      again = true;
      return;
    }
    reloading = reload().finally(() => {
      reloading = undefined;
      if (again) {
        again = false;
        onChange();
      }
    });
  };
  await rewatch(initial);
  return {
    stop: () => watcher?.close(),
    closeReplaced: async () => {
      await Promise.all([...replaced].map(closeReplaced));
    },
  };
}
