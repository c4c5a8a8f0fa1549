import { adminRequest, serverUrl } from './client.js';
import { parseCommandArgs, UsageError } from './args.js';
import type { Command, CommandIO } from './command.js';

const VIEW = `pipeline node policy description status revision scope override traffic { version share } stable candidate step stepShare
  gates { gate status value threshold detail }
  experiment { recommendation srm { pValue mismatch } arms { version control share assignments outcomes mean pValue lift { estimate lower upper } } }
  shadow { mirrored compared agreement errors timeouts skipped psi psiCritical ksPValue }
  history(limit: 10) { at kind actor reason }`;

interface View {
  pipeline: string;
  node: string;
  policy: string;
  description: string;
  status: string;
  revision: number;
  traffic: { version: string; share: number }[];
  gates: { gate: string; status: string; detail: string }[];
  experiment: { recommendation: string; srm: { pValue: number; mismatch: boolean }; arms: { version: string; control: boolean; assignments: number; outcomes: number; mean: number | null; pValue: number | null }[] } | null;
  shadow: Record<string, number | null> | null;
  history: { at: string; kind: string; actor: string; reason: string }[];
}

const ACTIONS = ['status', 'promote', 'pause', 'resume', 'rollback', 'set-split'] as const;

export const rolloutCommand: Command = {
  name: 'rollout',
  summary: 'Show or steer the rollouts of a running server.',
  usage: 'tessera rollout status|promote|pause|resume|rollback|set-split [--pipeline P] [--node N] [--version V] [--weights v1=90,v2=10] [--reason TEXT] [--url URL]',
  help: `Talks to a running server over GraphQL (--url, else TESSERA_URL, else http://127.0.0.1:4000/graphql).
status lists every rollout (or one, with --pipeline and --node): policy, traffic, gates, experiment readout,
recent history. The other actions change one rollout and need --pipeline, --node and the admin token in
TESSERA_ADMIN_TOKEN; --reason is recorded in the history. promote takes --version (default: the candidate,
shadow or best arm); set-split takes --weights.`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      pipeline: { type: 'string' },
      node: { type: 'string' },
      version: { type: 'string' },
      weights: { type: 'string' },
      reason: { type: 'string' },
      url: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const action = positionals[0] as (typeof ACTIONS)[number] | undefined;
    if (!action || !ACTIONS.includes(action) || positionals.length > 1) throw new UsageError(`Give one action: ${ACTIONS.join(', ')}.`);
    const url = serverUrl(values.url);
    if (action === 'status') {
      const views = values.pipeline && values.node
        ? [(await adminRequest<{ rollout: View | null }>(url, `query ($p: String!, $n: String!) { rollout(pipeline: $p, node: $n) { ${VIEW} } }`, { p: values.pipeline, n: values.node })).rollout]
        : (await adminRequest<{ rollouts: View[] }>(url, `query ($p: String) { rollouts(pipeline: $p) { ${VIEW} } }`, { p: values.pipeline ?? null })).rollouts;
      for (const view of views) if (view) print(view, io, values.json ?? false);
      return 0;
    }
    if (!values.pipeline || !values.node) throw new UsageError(`${action} needs --pipeline and --node.`);
    const common = { p: values.pipeline, n: values.node, r: values.reason ?? null };
    let view: View;
    if (action === 'set-split') {
      if (!values.weights) throw new UsageError('set-split needs --weights, e.g. --weights v1=90,v2=10.');
      const weights = values.weights.split(',').map((pair) => {
        // A decimal number must be there: `v1=` must not quietly mean v1=0, nor `v1=0x10` v1=16.
        const match = /^\s*([^=\s]+)\s*=\s*(\d+(?:\.\d*)?|\.\d+)\s*$/.exec(pair);
        if (!match) throw new UsageError(`--weights takes version=number pairs (decimal numbers); got "${pair}".`);
        return { version: match[1] as string, weight: Number(match[2]) };
      });
      view = (await adminRequest<{ setSplit: View }>(url, `mutation ($p: String!, $n: String!, $w: [VersionWeightInput!]!, $r: String) { setSplit(pipeline: $p, node: $n, weights: $w, reason: $r) { ${VIEW} } }`, { ...common, w: weights })).setSplit;
    } else {
      const field = action;
      const versionArg = action === 'promote' ? ', version: $v' : '';
      const versionVar = action === 'promote' ? ', $v: String' : '';
      const data = await adminRequest<Record<string, View>>(url, `mutation ($p: String!, $n: String!, $r: String${versionVar}) { ${field}(pipeline: $p, node: $n, reason: $r${versionArg}) { ${VIEW} } }`, { ...common, ...(action === 'promote' ? { v: values.version ?? null } : {}) });
      view = data[field] as View;
    }
    print(view, io, values.json ?? false);
    return 0;
  },
};

function print(view: View, io: CommandIO, json: boolean): void {
  if (json) {
    io.stdout(JSON.stringify(view));
    return;
  }
  io.stdout(`${view.pipeline}.${view.node}  ${view.policy}  ${view.status.toLowerCase()}  ${view.description}  (revision ${view.revision})`);
  io.stdout(`  traffic: ${view.traffic.map((t) => `${t.version} ${(100 * t.share).toFixed(1)}%`).join(', ')}`);
  for (const gate of view.gates) io.stdout(`  gate ${gate.gate}: ${gate.status.toLowerCase()}  ${gate.detail}`);
  if (view.experiment) {
    for (const arm of view.experiment.arms) {
      io.stdout(`  arm ${arm.version}${arm.control ? ' (control)' : ''}: ${arm.assignments} assigned, ${arm.outcomes} outcomes, mean ${arm.mean ?? 'n/a'}, p ${arm.pValue ?? 'n/a'}`);
    }
    io.stdout(`  SRM p = ${view.experiment.srm.pValue.toPrecision(3)}${view.experiment.srm.mismatch ? ' MISMATCH' : ''}`);
    io.stdout(`  ${view.experiment.recommendation}`);
  }
  if (view.shadow) io.stdout(`  shadow: ${Object.entries(view.shadow).map(([k, v]) => `${k} ${v ?? 'n/a'}`).join(', ')}`);
  for (const event of view.history.slice(0, 5)) io.stdout(`  ${event.at} ${event.kind} by ${event.actor}: ${event.reason}`);
}
