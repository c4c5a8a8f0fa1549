import { didYouMean } from '../../errors/index.js';
import { nodeReferences, parseRef } from '../references.js';
import type { Rule } from './context.js';

/**
 * Every reference names an input field or a node that exists. (Whether the node has that output
 * is checked once output types are known.)
 */
export const referencesRule: Rule = ({ file, report }) => {
  const fields = Object.keys(file.input);
  const nodeIds = Object.keys(file.nodes);
  const check = (owner: string, text: string, target: ReturnType<typeof parseRef>, path: readonly (string | number)[], inCel: boolean) => {
    if (target.source === 'input') {
      if (!(target.field in file.input)) {
        report(path, `${owner} reads "${text}", but the input has no field "${target.field}".${didYouMean(target.field, fields)}`);
      }
    } else if (!(target.node in file.nodes) && !inCel) {
      report(path, `${owner} reads "${text}", but no node "${target.node}" exists.${didYouMean(target.node, nodeIds)}`);
    }
  };
  for (const [id, node] of Object.entries(file.nodes)) {
    for (const ref of nodeReferences(id, node)) {
      if (ref.target.source === 'node' && ref.target.node === id) {
        // A switch branch names a whole node; everything else reads one of its outputs.
        const branch = ref.target.output === undefined && !ref.inCel;
        report(ref.path, branch ? `Switch "${id}" cannot pick itself as a branch.` : `Node "${id}" reads itself ("${ref.text}").`);
        continue;
      }
      check(`Node "${id}"`, ref.text, ref.target, ref.path, ref.inCel);
    }
  }
  for (const [name, text] of Object.entries(file.outputs)) check(`Output "${name}"`, text, parseRef(text), ['outputs', name], false);
};
