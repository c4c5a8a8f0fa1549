import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAdminServer, subscribe, type AdminServer } from '../helpers/admin.js';
import { APPLICANT } from '../helpers/applicants.js';
import { bundledPipelines } from '../helpers/paths.js';
import { keysAround } from '../helpers/units.js';

const TOKEN = 'test-admin-token';
const REPAYMENT = '(pipeline: "creditScore", node: "repayment")';
const VIEW = 'node policy description status revision scope override traffic { version share }';
const HISTORY = 'history { kind actor reason data revision }';
const STARTED = { kind: 'started', actor: 'file', reason: 'Started split from the pipeline file.', data: '{"policy":"split"}', revision: 1 };

const needsToken = 'This operation needs the admin token (Authorization: Bearer <token>).';
const wrongToken = 'The admin token is wrong.';
const disabled = 'Admin operations are disabled: start the server with TESSERA_ADMIN_TOKEN set.';

/** Applicant ids on v1 (below `share`) and on v2 of the repayment split (salt `creditScore.repayment`, the documented default). */
const applicantIds = (count: { below: number; above: number }, share = 0.8) => keysAround('creditScore.repayment', share, count);

interface Scored {
  requestId: string;
  score: number;
  repayment: { version: string; policy: string; variant: string };
}

/** Scores applicants (selecting `score`, which needs the repayment node) and returns each answer's repayment routing. */
async function score(server: AdminServer, ids: readonly string[]): Promise<Scored[]> {
  const response = await server.query(
    'query ($inputs: [CreditScoreInput!]!) { creditScoreBatch(inputs: $inputs) { requestId score routing { node version policy variant } } }',
    { inputs: ids.map((applicantId) => ({ ...APPLICANT, applicantId })) },
  );
  expect(response.errors).toBeUndefined();
  return (response.data?.creditScoreBatch as { requestId: string; score: number; routing: { node: string; version: string; policy: string; variant: string }[] }[]).map((row) => {
    const { node: _node, ...repayment } = row.routing.find((d) => d.node === 'repayment') as { node: string; version: string; policy: string; variant: string };
    return { requestId: row.requestId, score: row.score, repayment };
  });
}

async function repayment(server: AdminServer, fields = `revision status ${HISTORY}`): Promise<Record<string, unknown>> {
  const response = await server.query(`{ rollout${REPAYMENT} { ${fields} } }`);
  expect(response.errors).toBeUndefined();
  return response.data?.rollout as Record<string, unknown>;
}

/** The exact answer to a mutation refused at field `field` (every mutation below starts with `mutation { `). */
function refusal(field: string, message: string, extensions: Record<string, unknown>) {
  return { data: null, errors: [{ message, locations: [{ line: 1, column: 12 }], path: [field], extensions }] };
}

describe('rollout queries', () => {
  let server: AdminServer;
  beforeEach(async () => {
    server = await startAdminServer(bundledPipelines, { adminToken: TOKEN });
  });
  afterEach(async () => {
    await server.close();
  });

  it('lists every node rollout with policy, description, status, traffic and the started event', async () => {
    const response = await server.query(`{ rollouts(pipeline: "creditScore") { pipeline ${VIEW} ${HISTORY} } }`);
    expect(response.errors).toBeUndefined();
    const rollouts = response.data?.rollouts as { node: string }[];
    expect(rollouts.map((r) => r.node)).toEqual(['debtToIncome', 'loanToIncome', 'repayment', 'thinFile', 'defaultRisk', 'affordability', 'fraud', 'score', 'grade', 'decision']);
    expect(rollouts.find((r) => r.node === 'repayment')).toEqual({
      pipeline: 'creditScore',
      node: 'repayment',
      policy: 'split',
      description: 'split(v1=80%,v2=20%)',
      status: 'RUNNING',
      revision: 1,
      scope: 'split-1',
      override: null,
      traffic: [{ version: 'v1', share: 0.8 }, { version: 'v2', share: 0.2 }],
      history: [STARTED],
    });
    expect(rollouts.find((r) => r.node === 'fraud')).toEqual({
      pipeline: 'creditScore',
      node: 'fraud',
      policy: 'fixed',
      description: 'fixed(v1)',
      status: 'RUNNING',
      revision: 1,
      scope: 'fixed-1',
      override: null,
      traffic: [{ version: 'v1', share: 1 }],
      history: [{ kind: 'started', actor: 'file', reason: 'Started fixed from the pipeline file.', data: '{"policy":"fixed"}', revision: 1 }],
    });
    // Every rollout of every pipeline when no pipeline is named; none of a pipeline that does not exist.
    const all = await server.query('{ rollouts { node } }');
    expect((all.data?.rollouts as unknown[]).length).toBe(10);
    expect(await server.query('{ rollouts(pipeline: "nope") { node } }')).toEqual({ data: { rollouts: [] } });
  });

  it('shows one rollout with its empty experiment readout, and names an unknown node with a suggestion', async () => {
    expect(await server.query(`{ rollout${REPAYMENT} { ${VIEW} stable candidate step stepShare gates { gate } experiment { scope outcome arms { version control share assignments outcomes mean interval { lower } lift { estimate } pValue } srm { mismatch } recommendation } ${HISTORY} } }`)).toEqual({
      data: {
        rollout: {
          node: 'repayment',
          policy: 'split',
          description: 'split(v1=80%,v2=20%)',
          status: 'RUNNING',
          revision: 1,
          scope: 'split-1',
          override: null,
          traffic: [{ version: 'v1', share: 0.8 }, { version: 'v2', share: 0.2 }],
          stable: null,
          candidate: null,
          step: null,
          stepShare: null,
          gates: [],
          experiment: {
            scope: 'split-1',
            outcome: 'binary, lower is better',
            arms: [
              { version: 'v1', control: true, share: 0.8, assignments: 0, outcomes: 0, mean: null, interval: null, lift: null, pValue: null },
              { version: 'v2', control: false, share: 0.2, assignments: 0, outcomes: 0, mean: null, interval: null, lift: null, pValue: null },
            ],
            srm: { mismatch: false },
            recommendation: 'Keep running: no version differs from v1 at α = 0.05 yet (0 outcomes).',
          },
          history: [STARTED],
        },
      },
    });
    expect(await server.query('{ rollout(pipeline: "creditScore", node: "repaymnt") { node } }')).toEqual({
      data: { rollout: null },
      errors: [
        {
          message: 'Pipeline "creditScore" has no node "repaymnt". Did you mean "repayment"?',
          locations: [{ line: 1, column: 3 }],
          path: ['rollout'],
          extensions: { code: 'NOT_FOUND', pipeline: 'creditScore', node: 'repaymnt' },
        },
      ],
    });
  });

  it('refuses a history limit outside 1 to 1000 instead of quietly changing it', async () => {
    for (const [limit, rule] of [
      [0, 'min'],
      [-1, 'min'],
      [1001, 'max'],
    ] as const) {
      const response = await server.query(`{ rollout${REPAYMENT} { node history(limit: ${limit}) { kind } } }`);
      expect(response.errors?.map((e) => [e.message, e.extensions])).toEqual([
        [`history takes a limit from 1 to 1000; got ${limit}.`, { code: 'BAD_USER_INPUT', field: 'limit', rule }],
      ]);
    }
  });
});

describe('admin token', () => {
  const MUTATIONS: [string, string][] = [
    ['promote', `mutation { promote${REPAYMENT.replace(')', ', version: "v2")')} { status } }`],
    ['rollback', `mutation { rollback${REPAYMENT} { status } }`],
    ['pause', `mutation { pause${REPAYMENT} { status } }`],
    ['resume', `mutation { resume${REPAYMENT} { status } }`],
    ['setSplit', `mutation { setSplit${REPAYMENT.replace(')', ', weights: [{ version: "v1", weight: 50 }, { version: "v2", weight: 50 }])')} { status } }`],
    ['reportOutcome', 'mutation { reportOutcome(requestId: "REQUEST", value: 1) { status } }'],
    ['reportOutcomes', 'mutation { reportOutcomes(outcomes: [{ requestId: "REQUEST", value: 1 }]) { status } }'],
  ];

  let server: AdminServer;
  afterEach(async () => {
    await server.close();
  });

  it('refuses every mutation and the subscription without the token, or with a wrong one, and changes nothing', async () => {
    server = await startAdminServer(bundledPipelines, { adminToken: TOKEN });
    const [scored] = await score(server, ['applicant-0']);
    const requestId = (scored as Scored).requestId;
    const before = await repayment(server);
    expect(before).toEqual({ revision: 1, status: 'RUNNING', history: [STARTED] });

    for (const [token, message] of [[undefined, needsToken], ['not-the-token', wrongToken], [`${TOKEN}x`, wrongToken], ['', wrongToken] /* an empty bearer token is a wrong one */] as const) {
      for (const [field, mutation] of MUTATIONS) {
        expect(await server.query(mutation.replace('REQUEST', requestId), undefined, token), `${field} with token ${String(token)}`).toEqual(
          refusal(field, message, { code: 'UNAUTHENTICATED' }),
        );
      }
      const stream = await subscribe(server.url, 'subscription { rolloutEvents(pipeline: "creditScore") { kind } }', token);
      expect([stream.status, stream.contentType]).toEqual([200, 'text/event-stream']);
      expect(await stream.next()).toEqual({
        event: 'next',
        data: { errors: [{ message, locations: [{ line: 1, column: 16 }], path: ['rolloutEvents'], extensions: { code: 'UNAUTHENTICATED' } }] },
      });
      expect(await stream.next()).toEqual({ event: 'complete', data: null });
      expect(await stream.next()).toBeUndefined();
    }

    expect(await repayment(server)).toEqual(before);
    // The refused outcome was not recorded: the first one with the token is accepted.
    const accepted = await server.query(`mutation { reportOutcome(requestId: "${requestId}", value: 1) { status } }`, undefined, TOKEN);
    expect(accepted).toEqual({ data: { reportOutcome: { status: 'ACCEPTED' } } });
  });

  it('takes the bearer scheme in any case, and nothing but the bearer scheme', async () => {
    server = await startAdminServer(bundledPipelines, { adminToken: TOKEN });
    const pause = (authorization: string) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization },
        body: JSON.stringify({ query: `mutation { pause${REPAYMENT} { status } }` }),
      }).then((response) => response.json());
    expect(await pause(`Basic ${TOKEN}`)).toEqual(refusal('pause', wrongToken, { code: 'UNAUTHENTICATED' }));
    expect(await pause(TOKEN)).toEqual(refusal('pause', wrongToken, { code: 'UNAUTHENTICATED' }));
    expect(await pause(`bearer ${TOKEN}`)).toEqual({ data: { pause: { status: 'PAUSED' } } });
    expect(await pause(`BEARER ${TOKEN}`)).toEqual(refusal('pause', 'The rollout of "repayment" is already paused.', { code: 'FAILED_PRECONDITION' }));
  });

  it('says that admin operations are disabled when the server has no token, whatever the request sends', async () => {
    server = await startAdminServer(bundledPipelines);
    for (const token of [undefined, TOKEN]) {
      for (const [field, mutation] of MUTATIONS) {
        expect(await server.query(mutation, undefined, token), field).toEqual(refusal(field, disabled, { code: 'UNAUTHENTICATED' }));
      }
      const stream = await subscribe(server.url, 'subscription { rolloutEvents { kind } }', token);
      expect(await stream.next()).toEqual({
        event: 'next',
        data: { errors: [{ message: disabled, locations: [{ line: 1, column: 16 }], path: ['rolloutEvents'], extensions: { code: 'UNAUTHENTICATED' } }] },
      });
      stream.close();
    }
    expect(await repayment(server)).toEqual({ revision: 1, status: 'RUNNING', history: [STARTED] });
  });
});

describe('rollout mutations with the token', () => {
  let server: AdminServer;
  const admin = (mutation: string) => server.query(mutation, undefined, TOKEN);
  const ids = applicantIds({ below: 4, above: 4 });
  const mixed = [...ids.below, ...ids.above];

  beforeEach(async () => {
    server = await startAdminServer(bundledPipelines, { adminToken: TOKEN });
  });
  afterEach(async () => {
    await server.close();
  });

  it('routes by the declared split: ids below 80% get v1, the others v2', async () => {
    const scored = await score(server, mixed);
    expect(scored.map((s) => s.repayment)).toEqual([
      ...ids.below.map(() => ({ version: 'v1', policy: 'split(v1=80%,v2=20%)', variant: 'control' })),
      ...ids.above.map(() => ({ version: 'v2', policy: 'split(v1=80%,v2=20%)', variant: 'treatment' })),
    ]);
  });

  it('setSplit changes the weights and starts a new experiment scope, with the reason in the history', async () => {
    const before = await score(server, mixed);
    const experiment = `experiment { scope arms { version share assignments outcomes } }`;
    expect((await repayment(server, experiment)).experiment).toEqual({
      scope: 'split-1',
      arms: [{ version: 'v1', share: 0.8, assignments: 4, outcomes: 0 }, { version: 'v2', share: 0.2, assignments: 4, outcomes: 0 }],
    });

    const response = await admin(`mutation { setSplit${REPAYMENT.replace(')', ', weights: [{ version: "v1", weight: 37 }, { version: "v2", weight: 63 }], reason: "More power for v2.")')} { ${VIEW} ${experiment} history(limit: 5) { kind actor reason data revision } } }`);
    expect(response).toEqual({
      data: {
        setSplit: {
          node: 'repayment',
          policy: 'split',
          description: 'split(v1=37%,v2=63%)',
          status: 'RUNNING',
          revision: 2,
          scope: 'split-2',
          override: null,
          traffic: [{ version: 'v1', share: 0.37 }, { version: 'v2', share: 0.63 }],
          // The new scope counts from zero: assignments made under 80/20 would fail its SRM check.
          experiment: { scope: 'split-2', arms: [{ version: 'v1', share: 0.37, assignments: 0, outcomes: 0 }, { version: 'v2', share: 0.63, assignments: 0, outcomes: 0 }] },
          history: [
            {
              kind: 'split_set',
              actor: 'admin',
              reason: 'Split set to v1=37, v2=63; a new experiment scope begins. More power for v2.',
              data: '{"weights":{"v1":37,"v2":63},"scope":"split-2"}',
              revision: 2,
            },
            STARTED,
          ],
        },
      },
    });

    const at37 = applicantIds({ below: 3, above: 3 }, 0.37);
    const scored = await score(server, [...at37.below, ...at37.above]);
    expect(scored.map((s) => s.repayment)).toEqual([
      ...at37.below.map(() => ({ version: 'v1', policy: 'split(v1=37%,v2=63%)', variant: 'control' })),
      ...at37.above.map(() => ({ version: 'v2', policy: 'split(v1=37%,v2=63%)', variant: 'treatment' })),
    ]);
    // An outcome of a request answered under 80/20 counts in that experiment, not in the new one.
    const old = (before[ids.below.length] as Scored).requestId;
    expect(await admin(`mutation { reportOutcome(requestId: "${old}", value: 1) { status attributedTo { node version scope } } }`)).toEqual({
      data: { reportOutcome: { status: 'ACCEPTED', attributedTo: [{ node: 'repayment', version: 'v2', scope: 'split-1' }] } },
    });
    expect((await repayment(server, experiment)).experiment).toEqual({
      scope: 'split-2',
      arms: [{ version: 'v1', share: 0.37, assignments: 3, outcomes: 0 }, { version: 'v2', share: 0.63, assignments: 3, outcomes: 0 }],
    });
  });

  it('pause sends all traffic to control; resume restores the split and its scope', async () => {
    expect(await admin(`mutation { pause${REPAYMENT.replace(')', ', reason: "Incident 4711.")')} { ${VIEW} history(limit: 1) { kind actor reason data revision } } }`)).toEqual({
      data: {
        pause: {
          node: 'repayment',
          policy: 'split',
          description: 'paused(v1)',
          status: 'PAUSED',
          revision: 2,
          scope: 'split-1',
          override: null,
          traffic: [{ version: 'v1', share: 1 }, { version: 'v2', share: 0 }],
          history: [{ kind: 'paused', actor: 'admin', reason: 'Paused. Incident 4711.', data: '{}', revision: 2 }],
        },
      },
    });
    expect((await score(server, mixed)).map((s) => s.repayment)).toEqual(mixed.map(() => ({ version: 'v1', policy: 'paused(v1)', variant: 'control' })));
    expect(await admin(`mutation { pause${REPAYMENT} { status } }`)).toEqual(refusal('pause', 'The rollout of "repayment" is already paused.', { code: 'FAILED_PRECONDITION' }));

    expect(await admin(`mutation { resume${REPAYMENT} { status description revision scope history(limit: 1) { kind actor reason revision } } }`)).toEqual({
      data: { resume: { status: 'RUNNING', description: 'split(v1=80%,v2=20%)', revision: 3, scope: 'split-1', history: [{ kind: 'resumed', actor: 'admin', reason: 'Resumed.', revision: 3 }] } },
    });
    expect((await score(server, mixed)).map((s) => s.repayment.version)).toEqual([...ids.below.map(() => 'v1'), ...ids.above.map(() => 'v2')]);
  });

  it('promote(version: "v2") gives every request v2; rollback then gives every request v1', async () => {
    expect(await admin(`mutation { promote${REPAYMENT.replace(')', ', version: "v2")')} { ${VIEW} history(limit: 1) { kind actor reason data revision } } }`)).toEqual({
      data: {
        promote: {
          node: 'repayment',
          policy: 'split',
          description: 'promoted(v2)',
          status: 'PROMOTED',
          revision: 2,
          scope: 'split-1',
          override: 'v2',
          traffic: [{ version: 'v1', share: 0 }, { version: 'v2', share: 1 }],
          history: [{ kind: 'promoted', actor: 'admin', reason: 'Promoted v2.', data: '{"version":"v2"}', revision: 2 }],
        },
      },
    });
    expect((await score(server, mixed)).map((s) => s.repayment)).toEqual(mixed.map(() => ({ version: 'v2', policy: 'promoted(v2)', variant: 'stable' })));

    expect(await admin(`mutation { rollback${REPAYMENT} { status description override revision traffic { version share } history(limit: 3) { kind actor reason data revision } } }`)).toEqual({
      data: {
        rollback: {
          status: 'ROLLED_BACK',
          description: 'rolled_back(v1)',
          override: 'v1',
          revision: 3,
          traffic: [{ version: 'v1', share: 1 }, { version: 'v2', share: 0 }],
          history: [
            { kind: 'rolled_back', actor: 'admin', reason: 'Rolled back to v1.', data: '{"version":"v1"}', revision: 3 },
            { kind: 'promoted', actor: 'admin', reason: 'Promoted v2.', data: '{"version":"v2"}', revision: 2 },
            STARTED,
          ],
        },
      },
    });
    expect((await score(server, mixed)).map((s) => s.repayment)).toEqual(mixed.map(() => ({ version: 'v1', policy: 'rolled_back(v1)', variant: 'stable' })));
    // An ended rollout neither pauses nor resumes.
    expect(await admin(`mutation { pause${REPAYMENT} { status } }`)).toEqual(
      refusal('pause', 'The rollout of "repayment" has ended (rolled_back); there is nothing to pause.', { code: 'FAILED_PRECONDITION' }),
    );
    expect(await admin(`mutation { resume${REPAYMENT} { status } }`)).toEqual(
      refusal('resume', 'The rollout of "repayment" is rolled back, not paused; only a paused rollout resumes.', { code: 'FAILED_PRECONDITION' }),
    );
  });

  it('refuses what cannot be done with exact messages and codes, and changes nothing', async () => {
    const cases: [string, string, string, Record<string, unknown>][] = [
      ['resume', `mutation { resume${REPAYMENT} { status } }`, 'The rollout of "repayment" is running, not paused; only a paused rollout resumes.', { code: 'FAILED_PRECONDITION' }],
      [
        'setSplit',
        'mutation { setSplit(pipeline: "creditScore", node: "fraud", weights: [{ version: "v1", weight: 1 }]) { status } }',
        'setSplit applies to split policies; node "fraud" uses fixed.',
        { code: 'FAILED_PRECONDITION' },
      ],
      ['pause', 'mutation { pause(pipeline: "creditScore", node: "fraud") { status } }', 'A fixed policy has nothing to pause.', { code: 'FAILED_PRECONDITION' }],
      ['promote', `mutation { promote${REPAYMENT} { status } }`, 'promote needs a version for node "repayment": one of v1, v2.', { code: 'FAILED_PRECONDITION' }],
      [
        'pause',
        'mutation { pause(pipeline: "creditScore", node: "repaymnt") { status } }',
        'Pipeline "creditScore" has no node "repaymnt". Did you mean "repayment"?',
        { code: 'NOT_FOUND', pipeline: 'creditScore', node: 'repaymnt' },
      ],
      [
        'promote',
        `mutation { promote${REPAYMENT.replace(')', ', version: "v3")')} { status } }`,
        'Node "repayment" has no version "v3". Versions: v1, v2. Did you mean "v1" or "v2"?',
        { code: 'BAD_USER_INPUT', field: 'version', rule: 'unknown' },
      ],
      [
        'setSplit',
        `mutation { setSplit${REPAYMENT.replace(')', ', weights: [{ version: "v1", weight: 50 }, { version: "v9", weight: 50 }])')} { status } }`,
        'Node "repayment" has no version "v9". Versions: v1, v2. Did you mean "v1" or "v2"?',
        { code: 'BAD_USER_INPUT', field: 'weights', rule: 'unknown' },
      ],
      [
        'setSplit',
        `mutation { setSplit${REPAYMENT.replace(')', ', weights: [{ version: "v1", weight: 50 }, { version: "v2", weight: -5 }])')} { status } }`,
        'The weight of "v2" must be a number from 0 to 1000000; got -5.',
        { code: 'BAD_USER_INPUT', field: 'weights', rule: 'min' },
      ],
      [
        'setSplit',
        // Weights this large once added up to Infinity and gave every version a share of 0.
        `mutation { setSplit${REPAYMENT.replace(')', ', weights: [{ version: "v1", weight: 1e308 }, { version: "v2", weight: 1e308 }])')} { status } }`,
        'The weight of "v1" must be a number from 0 to 1000000; got 1e+308.',
        { code: 'BAD_USER_INPUT', field: 'weights', rule: 'max' },
      ],
      [
        'setSplit',
        `mutation { setSplit${REPAYMENT.replace(')', ', weights: [{ version: "v1", weight: 90 }, { version: "v2", weight: 10 }, { version: "v1", weight: 10 }])')} { status } }`,
        'The weights name version "v1" more than once; give each version one weight.',
        { code: 'BAD_USER_INPUT', field: 'weights', rule: 'duplicate' },
      ],
      [
        'setSplit',
        `mutation { setSplit${REPAYMENT.replace(')', ', weights: [{ version: "v1", weight: 0 }, { version: "v2", weight: 0 }])')} { status } }`,
        'A split needs at least one version with a weight above 0.',
        { code: 'BAD_USER_INPUT', field: 'weights', rule: 'min' },
      ],
    ];
    for (const [field, mutation, message, extensions] of cases) {
      expect(await admin(mutation), mutation).toEqual(refusal(field, message, extensions));
    }
    expect(await repayment(server)).toEqual({ revision: 1, status: 'RUNNING', history: [STARTED] });
    const fraud = await server.query('{ rollout(pipeline: "creditScore", node: "fraud") { revision description } }');
    expect(fraud).toEqual({ data: { rollout: { revision: 1, description: 'fixed(v1)' } } });
  });
});

describe('outcomes', () => {
  let server: AdminServer;
  beforeEach(async () => {
    server = await startAdminServer(bundledPipelines, { adminToken: TOKEN });
  });
  afterEach(async () => {
    await server.close();
  });

  it('are attributed to the version that answered, counted once, and refused when unknown or unusable', async () => {
    const report = (requestId: string, value: number) =>
      server.query('mutation ($id: ID!, $value: Float!) { reportOutcome(requestId: $id, value: $value) { requestId status attributedTo { node version scope } message } }', { id: requestId, value }, TOKEN);
    const ids = applicantIds({ below: 8, above: 2 });
    const scored = await score(server, [...ids.below, ...ids.above]);
    expect(scored.map((s) => s.repayment.version)).toEqual(['v1', 'v1', 'v1', 'v1', 'v1', 'v1', 'v1', 'v1', 'v2', 'v2']);
    const r = scored.map((s) => s.requestId);
    const [r0, r1, r2, r3, r4, , , , r8, r9] = r as [string, string, string, string, string, string, string, string, string, string];
    const v1 = [{ node: 'repayment', version: 'v1', scope: 'split-1' }];
    const v2 = [{ node: 'repayment', version: 'v2', scope: 'split-1' }];

    expect(await report(r0, 1)).toEqual({ data: { reportOutcome: { requestId: r0, status: 'ACCEPTED', attributedTo: v1, message: null } } });
    const duplicate = { requestId: r0, status: 'DUPLICATE', attributedTo: [], message: `An outcome for request "${r0}" was already counted; this one changes nothing.` };
    expect(await report(r0, 1)).toEqual({ data: { reportOutcome: duplicate } });
    // A different value for the same request is a conflict: the first outcome stands, and the answer says which it was.
    expect(await report(r0, 0)).toEqual({
      data: {
        reportOutcome: {
          requestId: r0,
          status: 'CONFLICT',
          attributedTo: [],
          message: `Request "${r0}" already has a different outcome counted (1 for node "repayment"); 0 was not counted in its place: an outcome counts once, the first time it is reported.`,
        },
      },
    });
    expect(await report(r8, 1)).toEqual({ data: { reportOutcome: { requestId: r8, status: 'ACCEPTED', attributedTo: v2, message: null } } });

    expect(await report('no-such-request', 1)).toEqual({
      data: null,
      errors: [
        {
          message: 'No request "no-such-request" is known: the id is wrong, or its decisions are past their retention.',
          locations: [{ line: 1, column: 39 }],
          path: ['reportOutcome'],
          extensions: { code: 'NOT_FOUND', status: 'UNKNOWN_REQUEST' },
        },
      ],
    });
    expect(await report(r1, 0.5)).toEqual({
      data: null,
      errors: [
        {
          message: 'Node "repayment" learns from binary outcomes: the value must be 0 or 1; got 0.5.',
          locations: [{ line: 1, column: 39 }],
          path: ['reportOutcome'],
          extensions: { code: 'BAD_USER_INPUT', field: 'value', rule: 'outcome' },
        },
      ],
    });

    const batch = await server.query(
      'mutation ($o: [OutcomeInput!]!) { reportOutcomes(outcomes: $o) { requestId status attributedTo { node version scope } message } }',
      {
        o: [
          { requestId: r1, value: 0 },
          { requestId: r2, value: 1 },
          { requestId: r0, value: 1 },
          { requestId: 'missing-id', value: 0 },
          { requestId: r3, value: 0.5 },
          { requestId: r9, value: 0, node: 'repayment' },
          { requestId: r4, value: 1, node: 'repaymentt' },
          { requestId: r4, value: 1, node: '' },
        ],
      },
      TOKEN,
    );
    expect(batch).toEqual({
      data: {
        reportOutcomes: [
          { requestId: r1, status: 'ACCEPTED', attributedTo: v1, message: null },
          { requestId: r2, status: 'ACCEPTED', attributedTo: v1, message: null },
          duplicate,
          { requestId: 'missing-id', status: 'UNKNOWN_REQUEST', attributedTo: [], message: 'No request "missing-id" is known: the id is wrong, or its decisions are past their retention.' },
          { requestId: r3, status: 'INVALID', attributedTo: [], message: 'Node "repayment" learns from binary outcomes: the value must be 0 or 1; got 0.5.' },
          { requestId: r9, status: 'ACCEPTED', attributedTo: v2, message: null },
          { requestId: r4, status: 'UNKNOWN_NODE', attributedTo: [], message: `Request "${r4}" has no decision of node "repaymentt" that learns from outcomes.` },
          // An empty name names no node: it is not "every node" (which leaving node out means).
          { requestId: r4, status: 'UNKNOWN_NODE', attributedTo: [], message: `Request "${r4}" has no decision of node "" that learns from outcomes.` },
        ],
      },
    });

    // v1: r0 = 1, r1 = 0, r2 = 1 of 8 assigned; v2: r8 = 1, r9 = 0 of 2 assigned (exactly 80/20: SRM p = 1).
    expect(await server.query('{ rollout(pipeline: "creditScore", node: "repayment") { experiment { arms { version assignments outcomes mean } srm { pValue mismatch } recommendation } } }')).toEqual({
      data: {
        rollout: {
          experiment: {
            arms: [
              { version: 'v1', assignments: 8, outcomes: 3, mean: 2 / 3 },
              { version: 'v2', assignments: 2, outcomes: 2, mean: 0.5 },
            ],
            srm: { pValue: 1, mismatch: false },
            recommendation: 'Keep running: no version differs from v1 at α = 0.05 yet (5 outcomes).',
          },
        },
      },
    });
  });

  it('refuses more than 10,000 outcomes in one call', async () => {
    const outcomes = Array.from({ length: 10_001 }, (_, i) => ({ requestId: `r${i}`, value: 0 }));
    expect(await server.query('mutation ($o: [OutcomeInput!]!) { reportOutcomes(outcomes: $o) { status } }', { o: outcomes }, TOKEN)).toEqual({
      data: null,
      errors: [
        {
          message: 'At most 10000 outcomes per call; got 10001.',
          locations: [{ line: 1, column: 35 }],
          path: ['reportOutcomes'],
          extensions: { code: 'BAD_USER_INPUT', field: 'outcomes', rule: 'maxBatchSize', limit: 10_000 },
        },
      ],
    });
  });
});

describe('rolloutEvents subscription over SSE', () => {
  let server: AdminServer;
  let open = false;
  beforeEach(async () => {
    server = await startAdminServer(bundledPipelines, { adminToken: TOKEN });
    open = true;
  });
  afterEach(async () => {
    if (open) await server.close();
  });

  it('streams the paused event, with its reason, to a subscriber with the token', async () => {
    const stream = await subscribe(server.url, 'subscription { rolloutEvents(pipeline: "creditScore") { seq pipeline node kind actor reason data revision } }', TOKEN);
    try {
      expect([stream.status, stream.contentType]).toEqual([200, 'text/event-stream']);
      const paused = await server.query(`mutation { pause${REPAYMENT.replace(')', ', reason: "Data incident.")')} { status } }`, undefined, TOKEN);
      expect(paused).toEqual({ data: { pause: { status: 'PAUSED' } } });
      expect(await stream.next()).toEqual({
        event: 'next',
        // seq 11: the started events of the 10 nodes are 1 to 10.
        data: { data: { rolloutEvents: { seq: 11, pipeline: 'creditScore', node: 'repayment', kind: 'paused', actor: 'admin', reason: 'Paused. Data incident.', data: '{}', revision: 2 } } },
      });
      await server.query(`mutation { resume${REPAYMENT} { status } }`, undefined, TOKEN);
      expect(await stream.next()).toEqual({
        event: 'next',
        data: { data: { rolloutEvents: { seq: 12, pipeline: 'creditScore', node: 'repayment', kind: 'resumed', actor: 'admin', reason: 'Resumed.', data: '{}', revision: 3 } } },
      });
    } finally {
      stream.close();
    }
  });

  it('filters by node', async () => {
    const stream = await subscribe(server.url, 'subscription { rolloutEvents(pipeline: "creditScore", node: "fraud") { node kind reason } }', TOKEN);
    try {
      await server.query(`mutation { pause${REPAYMENT} { status } }`, undefined, TOKEN);
      await server.query('mutation { promote(pipeline: "creditScore", node: "fraud", version: "v1", reason: "Pin it.") { status } }', undefined, TOKEN);
      expect(await stream.next()).toEqual({ event: 'next', data: { data: { rolloutEvents: { node: 'fraud', kind: 'promoted', reason: 'Promoted v1. Pin it.' } } } });
    } finally {
      stream.close();
    }
  });

  it('completes open streams when the server closes, so that closing finishes', async () => {
    const stream = await subscribe(server.url, 'subscription { rolloutEvents { kind } }', TOKEN);
    await server.query(`mutation { pause${REPAYMENT} { status } }`, undefined, TOKEN);
    expect(await stream.next()).toEqual({ event: 'next', data: { data: { rolloutEvents: { kind: 'paused' } } } });
    const closing = server.close();
    open = false;
    expect(await stream.next()).toEqual({ event: 'complete', data: null });
    expect(await stream.next()).toBeUndefined();
    await closing;
  });
});
