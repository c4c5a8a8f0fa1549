import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type ArmRecord } from '../../src/state/index.js';
import { fixture } from '../helpers/paths.js';
import { graphql, startServe, type ServeProcess } from '../helpers/serve.js';

const TOKEN = 'durability-token';
const CLIENTS = 16;
/** Acknowledged outcomes after which the server is killed. */
const KILL_AFTER = 3000;
const PIPELINE = 'durability';
/** The nodes that learn, with the analysis scope of each once the load runs (the split's second). */
const SCOPES = { experiment: 'split-2', arm: 'bandit-1' } as const;
type Learner = keyof typeof SCOPES;

interface Answered {
  readonly versions: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Outcome count and sum per node and version, as the client saw them. */
function tally(requests: Iterable<string>, answered: ReadonlyMap<string, Answered>): Record<string, { count: number; sum: number }> {
  const totals: Record<string, { count: number; sum: number }> = {};
  for (const requestId of requests) {
    const request = answered.get(requestId) as Answered;
    for (const node of Object.keys(SCOPES) as Learner[]) {
      const key = `${node}/${request.versions[node]}`;
      totals[key] ??= { count: 0, sum: 0 };
      (totals[key] as { count: number; sum: number }).count++;
      (totals[key] as { count: number; sum: number }).sum += request.value;
    }
  }
  return totals;
}

/** The same shape from the store's arm statistics (versions without outcomes left out). */
function stored(arms: readonly ArmRecord[]): Record<string, { count: number; sum: number }> {
  return Object.fromEntries(arms.filter((a) => a.outcomes.count > 0).map((a) => [`${a.node}/${a.version}`, { count: a.outcomes.count, sum: a.outcomes.sum }]));
}

const ROLLOUTS = `{ rollouts(pipeline: "${PIPELINE}") { node policy status revision scope override description step stepShare traffic { version share } history(limit: 50) { kind actor reason revision } } }`;
const REPORT = 'mutation ($o: [OutcomeInput!]!) { reportOutcomes(outcomes: $o) { requestId status attributedTo { node version scope } } }';

describe('a server killed with SIGKILL under load', () => {
  const started: ServeProcess[] = [];
  const serve = async (args: readonly string[]) => {
    const server = await startServe(args, { TESSERA_ADMIN_TOKEN: TOKEN });
    started.push(server);
    return server;
  };
  afterEach(async () => {
    // Whatever happened above, no server outlives the test (a no-op for those already gone).
    await Promise.all(started.splice(0).map((server) => server.kill()));
  });

  it('restarts with its rollout state, experiment and bandit statistics and every acknowledged outcome', async () => {
    const state = path.join(mkdtempSync(path.join(tmpdir(), 'tessera-durability-')), 'state.db');
    const args = ['--pipelines', fixture('durability'), '--state', state, '--port', '0', '--no-watch', '--no-graphiql'];
    let server = await serve(args);
    const admin = (query: string, variables: Record<string, unknown> = {}) => graphql(server.url, query, variables, TOKEN);

    // Run-time state that a crash could lose: the canary paused at its first step, the split re-weighted.
    expect(await admin(`mutation { pause(pipeline: "${PIPELINE}", node: "ramp", reason: "Hold for the crash test.") { status revision step } }`)).toEqual({
      data: { pause: { status: 'PAUSED', revision: 2, step: 0 } },
    });
    expect(await admin(`mutation { setSplit(pipeline: "${PIPELINE}", node: "experiment", weights: [{ version: "v1", weight: 30 }, { version: "v2", weight: 70 }]) { status revision scope } }`)).toEqual({
      data: { setSplit: { status: 'RUNNING', revision: 2, scope: SCOPES.experiment } },
    });
    const acknowledged = await graphql(server.url, ROLLOUTS);
    expect(acknowledged.errors).toBeUndefined();
    // A bandit's traffic is its current belief, which the outcomes below move: compared apart.
    const fixedPart = (response: typeof acknowledged) =>
      (response.data?.rollouts as { node: string; status: string; revision: number; description: string; traffic: unknown }[]).map((r) =>
        r.node === 'arm' ? { ...r, description: '(learning)', traffic: '(learning)' } : r,
      );
    expect(fixedPart(acknowledged).map((r) => [r.node, r.status, r.revision, r.description])).toEqual([
      ['experiment', 'RUNNING', 2, 'split(v1=30%,v2=70%)'],
      ['arm', 'RUNNING', 1, '(learning)'],
      ['ramp', 'PAUSED', 2, 'canary(stable=90%,candidate=10%)'], // held at its first step
    ]);

    // The load: each client scores a unit, then reports an outcome for 4 of every 5 answers.
    const answered = new Map<string, Answered>();
    const unreported: string[] = [];
    const accepted = new Set<string>();
    const inFlight = new Set<string>();
    const failures: unknown[] = [];
    let scoresLost = 0;
    let killed: Promise<NodeJS.Signals | null> | undefined;
    let acceptedAtKill = 0;
    const client = async (c: number) => {
      for (let i = 0; !killed; i++) {
        let answer: Awaited<ReturnType<typeof graphql>>;
        try {
          answer = await graphql(server.url, `query ($input: DurabilityInput!) { ${PIPELINE}(input: $input) { requestId experiment arm ramp routing { node version } } }`, {
            input: { id: `unit-${c}-${i}`, x: i },
          });
        } catch {
          scoresLost++; // no answer: the server is gone
          return;
        }
        const result = answer.data?.[PIPELINE] as { requestId: string; routing: { node: string; version: string }[] } | undefined;
        if (!result || answer.errors) {
          failures.push(answer);
          return;
        }
        const { requestId } = result;
        const versions = Object.fromEntries(result.routing.map((d) => [d.node, d.version]));
        // Arm c pays more often: the bandit has something to learn.
        const value = (versions.arm === 'c' ? i % 3 !== 0 : i % 3 === 0) ? 1 : 0;
        answered.set(requestId, { versions, value });
        if (i % 5 === 4 || killed) {
          unreported.push(requestId);
          continue;
        }
        inFlight.add(requestId);
        let status: unknown;
        try {
          const response = await graphql(server.url, REPORT, { o: [{ requestId, value }] }, TOKEN);
          status = (response.data?.reportOutcomes as { status: string }[] | undefined)?.[0]?.status ?? response;
        } catch {
          return; // no answer: the outcome stays in flight
        }
        inFlight.delete(requestId);
        if (status === 'ACCEPTED') accepted.add(requestId);
        else failures.push(status);
        if (accepted.size >= KILL_AFTER && !killed) {
          acceptedAtKill = accepted.size;
          killed = server.kill();
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    expect(await killed).toBe('SIGKILL');
    expect(failures).toEqual([]);
    const inFlightAtKill = [...inFlight];
    const measured = `${answered.size} answered, ${accepted.size} outcomes acknowledged (${acceptedAtKill} when the kill was sent), ${inFlightAtKill.length} outcomes and ${scoresLost} scores in flight at the kill, ${unreported.length} answered but not reported`;
    expect(accepted.size).toBeGreaterThanOrEqual(KILL_AFTER);

    // What survived, read from the file itself before anything else touches it.
    const crashed = openSqliteStore(state);
    const armsAfterCrash = { experiment: await crashed.armStats({ pipeline: PIPELINE, node: 'experiment' }, SCOPES.experiment), arm: await crashed.armStats({ pipeline: PIPELINE, node: 'arm' }, SCOPES.arm) };
    const lostDecisions: string[] = [];
    for (const [requestId, request] of answered) {
      const decision = await crashed.decision(requestId);
      if (!decision) lostDecisions.push(requestId);
      else {
        // The decisions that outcomes are attributed by (the paused canary's has no scope).
        expect(decision.nodes.filter((d) => d.scope !== undefined).map(({ node, version, scope }) => ({ node, version, scope }))).toEqual([
          { node: 'experiment', version: request.versions.experiment, scope: SCOPES.experiment },
          { node: 'arm', version: request.versions.arm, scope: SCOPES.arm },
        ]);
      }
    }
    await crashed.close();
    // Every answered request's decisions were durable before its answer left.
    expect(lostDecisions).toEqual([]);

    server = await serve(args);
    try {
      // (a) The rollouts are exactly as acknowledged before the crash: states, revisions, history.
      expect(fixedPart(await graphql(server.url, ROLLOUTS))).toEqual(fixedPart(acknowledged));

      // (b) Every acknowledged outcome is counted; beyond them, at most the ones in flight at the kill.
      const afterCrash = stored([...armsAfterCrash.experiment, ...armsAfterCrash.arm]);
      const acknowledgedTally = tally(accepted, answered);
      const inFlightTally = tally(inFlightAtKill, answered);
      for (const key of new Set([...Object.keys(afterCrash), ...Object.keys(acknowledgedTally)])) {
        const have = afterCrash[key] ?? { count: 0, sum: 0 };
        const acked = acknowledgedTally[key] ?? { count: 0, sum: 0 };
        const pending = inFlightTally[key] ?? { count: 0, sum: 0 };
        expect(have.count - acked.count, key).toBeGreaterThanOrEqual(0);
        expect(have.count - acked.count, key).toBeLessThanOrEqual(pending.count);
        expect(have.sum - acked.sum, key).toBeGreaterThanOrEqual(0);
        expect(have.sum - acked.sum, key).toBeLessThanOrEqual(pending.sum);
      }
      // Assignments: every answered request, plus at most the scores in flight at the kill.
      for (const node of Object.keys(SCOPES) as Learner[]) {
        const assigned = armsAfterCrash[node].reduce((sum, a) => sum + a.assignments, 0);
        expect(assigned - answered.size, node).toBeGreaterThanOrEqual(0);
        expect(assigned - answered.size, node).toBeLessThanOrEqual(scoresLost);
        for (const arm of armsAfterCrash[node]) {
          const answeredHere = [...answered.values()].filter((a) => a.versions[node] === arm.version).length;
          expect(arm.assignments - answeredHere, `${node}/${arm.version}`).toBeGreaterThanOrEqual(0);
        }
      }

      // (c) Reporting every acknowledged outcome again changes nothing.
      const again = await admin(REPORT, { o: [...accepted].map((requestId) => ({ requestId, value: (answered.get(requestId) as Answered).value })) });
      const againStatuses = (again.data?.reportOutcomes as { status: string }[]).map((r) => r.status);
      expect(againStatuses.filter((s) => s !== 'DUPLICATE')).toEqual([]);
      expect(againStatuses.length).toBe(accepted.size);

      // The ones in flight at the kill: each was either counted (DUPLICATE now) or not (ACCEPTED now), never unknown.
      const resent = await admin(REPORT, { o: inFlightAtKill.map((requestId) => ({ requestId, value: (answered.get(requestId) as Answered).value })) });
      const resentResults = resent.data?.reportOutcomes as { requestId: string; status: string }[];
      expect(resentResults.filter((r) => r.status !== 'DUPLICATE' && r.status !== 'ACCEPTED')).toEqual([]);
      const countedBeforeKill = resentResults.filter((r) => r.status === 'DUPLICATE').map((r) => r.requestId);
      // The numbers of this run, for whoever reads the test output.
      console.log(`durability: ${measured}; ${countedBeforeKill.length} of the outcomes in flight had been counted.`);
      // So the store held exactly the acknowledged outcomes plus those.
      expect(afterCrash).toEqual(tally([...accepted, ...countedBeforeKill], answered));

      // Answered but never reported: their decisions survived, so each outcome is accepted now.
      const late = await admin(REPORT, { o: unreported.map((requestId) => ({ requestId, value: (answered.get(requestId) as Answered).value })) });
      const lateResults = late.data?.reportOutcomes as { requestId: string; status: string; attributedTo: { node: string; version: string; scope: string }[] }[];
      expect(lateResults.filter((r) => r.status !== 'ACCEPTED')).toEqual([]);
      for (const result of lateResults) {
        const versions = (answered.get(result.requestId) as Answered).versions;
        expect(result.attributedTo).toEqual([
          { node: 'experiment', version: versions.experiment, scope: SCOPES.experiment },
          { node: 'arm', version: versions.arm, scope: SCOPES.arm },
        ]);
      }

      // The experiment readout agrees with the store.
      const readout = await graphql(server.url, `{ rollout(pipeline: "${PIPELINE}", node: "experiment") { experiment { arms { version outcomes } } } }`);
      const everything = tally([...accepted, ...inFlightAtKill, ...unreported], answered);
      expect(readout.data?.rollout).toEqual({
        experiment: { arms: ['v1', 'v2'].map((version) => ({ version, outcomes: everything[`experiment/${version}`]?.count ?? 0 })) },
      });
    } finally {
      expect(await server.stop()).toBe(0);
    }

    // After a clean stop: every outcome reported, once.
    const final = openSqliteStore(state);
    try {
      const arms = [...(await final.armStats({ pipeline: PIPELINE, node: 'experiment' }, SCOPES.experiment)), ...(await final.armStats({ pipeline: PIPELINE, node: 'arm' }, SCOPES.arm))];
      expect(stored(arms)).toEqual(tally([...accepted, ...inFlightAtKill, ...unreported], answered));
    } finally {
      await final.close();
    }
  });
});
