import { didYouMean } from '../../errors/index.js';
import type { NodeFile } from '../format.js';
import type { Rule } from './context.js';

/** Output names a node is known to have before compilation (for the drift gate). */
function staticOutputs(node: Exclude<NodeFile, { kind: 'switch' }>): string[] {
  switch (node.kind) {
    case 'onnx':
      return Object.keys(node.outputs);
    case 'expression':
      return ['value'];
    case 'combiner':
      return ['value', ...(node.method === 'logistic' ? ['logit'] : []), ...(node.method === 'scorecard' ? ['logOdds', 'probability'] : [])];
  }
}

/**
 * Routing names declared versions, and each policy makes sense: a split sends traffic somewhere,
 * a canary ramps a candidate other than the stable version in increasing steps, a shadow mirrors
 * another version, a bandit has arms to choose from.
 */
export const routingRule: Rule = ({ file, report }) => {
  for (const [id, node] of Object.entries(file.nodes)) {
    if (node.kind === 'switch' || !node.routing) continue;
    const versions = Object.keys(node.versions ?? { v1: {} });
    const path = ['nodes', id, 'routing'];
    const routing = node.routing;
    const unknown = (name: string) => `Node "${id}" has no version "${name}". Declared versions: ${versions.join(', ')}.${didYouMean(name, versions)}`;
    const known = (key: string, name: string | undefined) => {
      if (name !== undefined && !versions.includes(name)) {
        report([...path, key], unknown(name));
        return false;
      }
      return true;
    };
    switch (routing.policy) {
      case 'fixed':
        known('version', routing.version);
        break;
      case 'split': {
        const entries = Object.entries(routing.weights);
        for (const [name] of entries) if (!versions.includes(name)) report([...path, 'weights', name], unknown(name), { key: true });
        if (entries.length === 0 || entries.every(([name, weight]) => weight === 0 || !versions.includes(name))) {
          report([...path, 'weights'], 'A split needs at least one declared version with a weight above 0.');
        }
        known('control', routing.control);
        break;
      }
      case 'canary': {
        const both = known('stable', routing.stable) && known('candidate', routing.candidate);
        if (both && routing.stable === routing.candidate) report([...path, 'candidate'], `The candidate of a canary must differ from its stable version ("${routing.stable}").`);
        const steps = routing.steps ?? [];
        steps.forEach((step, index) => {
          if (index > 0 && step <= (steps[index - 1] as number)) {
            report([...path, 'steps', index], `Canary steps must increase: ${step} follows ${steps[index - 1]}.`);
          }
        });
        const drift = routing.gates?.drift;
        if (drift && drift.output !== undefined) {
          const outputs = staticOutputs(node);
          if (!outputs.includes(drift.output)) {
            report([...path, 'gates', 'drift', 'output'], `Node "${id}" has no output "${drift.output}" to compare. Its outputs: ${outputs.join(', ')}.${didYouMean(drift.output, outputs)}`);
          }
        }
        break;
      }
      case 'shadow': {
        const both = known('primary', routing.primary) && known('shadow', routing.shadow);
        if (both && routing.primary === routing.shadow) report([...path, 'shadow'], `The shadow version must differ from the primary ("${routing.primary}").`);
        break;
      }
      case 'bandit':
        if (versions.length < 2) report(path, `A bandit needs at least two versions to choose from; node "${id}" declares ${versions.length}.`);
        if (routing.floor !== undefined && routing.floor * versions.length > 1) {
          report([...path, 'floor'], `A floor of ${routing.floor} per arm over ${versions.length} arms exceeds 100% of traffic.`);
        }
        break;
    }
  }
};
