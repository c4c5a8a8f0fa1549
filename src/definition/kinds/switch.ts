import type { SwitchNodeFile } from '../format.js';
import { STRING, typeToString, type OutputDef, type SwitchNodeDef, type ValueType } from '../types.js';
import { contentHash, Reads, type CompileContext } from './context.js';
import { compileConditions } from './expression.js';

/** Conditions are bools; every branch gives the same outputs, which the switch passes on. */
export function compileSwitchNode(context: CompileContext, id: string, node: SwitchNodeFile): SwitchNodeDef | undefined {
  const reads = new Reads();
  const conditions = compileConditions(context, id, node, reads);
  const branches = [...new Set([...node.cases.map((c) => c.then), node.default])];
  if (branches.some((branch) => context.failed.has(branch))) return undefined;
  const [first, ...rest] = branches;
  const firstOutputs = context.outputTypes.get(first as string);
  if (!conditions || !firstOutputs) return undefined;
  let failed = false;
  for (const branch of rest) {
    const outputs = context.outputTypes.get(branch);
    if (!outputs) continue;
    const describe = (m: ReadonlyMap<string, ValueType>) => [...m].map(([name, type]) => `${name}: ${typeToString(type)}`).join(', ');
    const same = outputs.size === firstOutputs.size && [...outputs].every(([name, type]) => {
      const other = firstOutputs.get(name);
      return other !== undefined && typeToString(other) === typeToString(type);
    });
    if (!same) {
      const index = node.cases.findIndex((c) => c.then === branch);
      const path = index >= 0 ? ['nodes', id, 'cases', index, 'then'] : ['nodes', id, 'default'];
      context.report('types', path, `Branches of switch "${id}" must give the same outputs: "${first}" gives {${describe(firstOutputs)}}, "${branch}" gives {${describe(outputs)}}.`);
      failed = true;
    }
  }
  if (failed) return undefined;
  if (firstOutputs.has('branch')) {
    context.report('types', ['nodes', id], `Switch "${id}" adds an output "branch", but its branches already have one; rename theirs.`);
    return undefined;
  }
  const outputs: OutputDef[] = [...firstOutputs].map(([name, type]) => ({ name, type, description: undefined }));
  outputs.push({ name: 'branch', type: STRING, description: 'The branch node that answered.' });
  const cases = node.cases.map((c, index) => ({ when: conditions[index] as NonNullable<typeof conditions>[number], then: c.then }));
  return {
    id,
    kind: 'switch',
    description: node.description,
    ...reads.toDef(),
    branches,
    outputs,
    versions: [{ name: 'v1', sha256: contentHash({ kind: 'switch', cases: node.cases, default: node.default }), description: undefined, cases, default: node.default }],
    routing: { policy: 'fixed', version: 'v1' },
    execution: { timeoutMs: undefined, fallback: undefined },
  };
}
