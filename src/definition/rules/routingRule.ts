import { didYouMean } from '../../errors/index.js';
import type { Rule } from './context.js';

/** Routing names declared versions, and a split sends traffic somewhere. */
export const routingRule: Rule = ({ file, report }) => {
  for (const [id, node] of Object.entries(file.nodes)) {
    if (node.kind === 'switch' || !node.routing) continue;
    const versions = Object.keys(node.versions ?? { v1: {} });
    const path = ['nodes', id, 'routing'];
    const unknown = (name: string) =>
      `Node "${id}" has no version "${name}". Declared versions: ${versions.join(', ')}.${didYouMean(name, versions)}`;
    switch (node.routing.policy) {
      case 'fixed':
        if (node.routing.version !== undefined && !versions.includes(node.routing.version)) report([...path, 'version'], unknown(node.routing.version));
        break;
      case 'split': {
        const entries = Object.entries(node.routing.weights);
        for (const [name] of entries) if (!versions.includes(name)) report([...path, 'weights', name], unknown(name), { key: true });
        if (entries.length === 0 || entries.every(([, weight]) => weight === 0)) {
          report([...path, 'weights'], 'A split needs at least one version with a weight above 0.');
        }
        break;
      }
    }
  }
};
