import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerInMemoryTelemetry, startTracedServer, type InMemoryTelemetry, type TracedServer } from '../helpers/otel.js';
import { fixture } from '../helpers/paths.js';

interface Family {
  name: string;
  type: string;
  help: string;
  metrics: { labels?: Record<string, string>; value?: string }[];
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

let otel: InMemoryTelemetry;
let server: TracedServer;

beforeAll(async () => {
  otel = registerInMemoryTelemetry();
  // durability: a split ("experiment"), a bandit ("arm") and a canary ("ramp") at its first of three steps.
  server = await startTracedServer(fixture('durability'), { telemetry: otel.telemetry });
  otel.telemetry.observeRollouts(() => server.engine.rollouts);
});

afterAll(async () => {
  await server.close();
  await otel.telemetry.shutdown();
});

/** The rollout gauges as a scrape shows them: per series of their labels, the value. */
async function scrape(): Promise<Record<string, Record<string, number>>> {
  const text = await (await fetch(new URL('/metrics', server.url))).text();
  const families = parsePrometheus(text);
  const gauge = (name: string, labels: readonly string[], help: string) => {
    const family = families.find((f) => f.name === name);
    if (!family) throw new Error(`no ${name} in:\n${text}`);
    expect(family).toMatchObject({ type: 'GAUGE', help });
    return Object.fromEntries(family.metrics.map((m) => [labels.map((l) => m.labels?.[l]).join(' '), Number(m.value)]));
  };
  const rollout = ['tessera_pipeline', 'tessera_node', 'tessera_policy'];
  return {
    step: gauge('tessera_rollout_step', rollout, 'The step a canary is at (0-based).'),
    status: gauge('tessera_rollout_status', [...rollout, 'tessera_status'], 'A rollout’s status: 1 for the current one, 0 for the others.'),
    share: gauge('tessera_rollout_traffic_share', [...rollout, 'tessera_version'], 'Share of traffic each version gets under its rollout policy (0 to 1).'),
  };
}

/** tessera_rollout_status of one rollout: 1 for `current`, 0 for the other statuses. */
const statuses = (rollout: string, current: string) => Object.fromEntries(['running', 'paused', 'promoted', 'rolled_back'].map((s) => [`${rollout} ${s}`, s === current ? 1 : 0]));

describe('the rollout stage in /metrics', () => {
  it('shows each canary’s step, every rollout’s status and the traffic it gives, as the rollout changes', async () => {
    const before = await scrape();
    expect(before.step).toEqual({ 'durability ramp canary': 0 });
    expect(before.status).toEqual({ ...statuses('durability experiment split', 'running'), ...statuses('durability arm bandit', 'running'), ...statuses('durability ramp canary', 'running') });
    expect(before.share).toMatchObject({ 'durability ramp canary stable': 0.9, 'durability ramp canary candidate': 0.1 });

    await server.engine.rollouts.command('durability', 'ramp', { kind: 'pause' }, { reason: 'metrics test' });
    const paused = await scrape();
    expect(paused.step).toEqual({ 'durability ramp canary': 0 });
    // One series per status, whatever the status: none is left behind at its last value.
    expect(paused.status).toMatchObject(statuses('durability ramp canary', 'paused'));

    await server.engine.rollouts.command('durability', 'ramp', { kind: 'rollback' }, { reason: 'metrics test' });
    const rolledBack = await scrape();
    expect(rolledBack.status).toMatchObject(statuses('durability ramp canary', 'rolled_back'));
    expect(rolledBack.share).toMatchObject({ 'durability ramp canary stable': 1, 'durability ramp canary candidate': 0 });
  });
});
