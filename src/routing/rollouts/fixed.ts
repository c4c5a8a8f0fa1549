import { FixedPolicy } from '../policy.js';
import { commonCommand, QUIET, type PolicyRuntime, type RuntimeContext } from './runtime.js';

/** One version for everyone; an operator may switch it (promote) and switch back (rollback). */
export function fixedRuntime(context: RuntimeContext): PolicyRuntime {
  const routing = context.def.routing;
  const declared = routing.policy === 'fixed' ? routing.version : (context.versions[0] as string);
  const policy = new FixedPolicy(context.versions, Math.max(0, context.versions.indexOf(declared)));
  return {
    ...QUIET,
    initial: (scope) => ({ status: 'running', scope }),
    policy: () => policy,
    command: (state, command) => commonCommand(context, state, command, { home: declared, promoteTo: undefined, pausable: false }),
    report: async () => ({}),
  };
}
