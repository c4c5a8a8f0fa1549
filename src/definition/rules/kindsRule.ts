import type { Rule } from './context.js';

/** Kind-specific requirements the shape alone cannot say. */
export const kindsRule: Rule = ({ file, report }) => {
  for (const [id, node] of Object.entries(file.nodes)) {
    const path = ['nodes', id];
    switch (node.kind) {
      case 'expression':
        if (node.expr === undefined && node.versions === undefined) report(path, `Expression node "${id}" needs "expr" (or "versions", each with its "expr").`);
        if (node.expr !== undefined && node.versions !== undefined) {
          report([...path, 'expr'], `Expression node "${id}" has both "expr" and "versions"; put the expression in each version.`);
        }
        break;
      case 'combiner':
        if (node.method === 'scorecard' && !node.scorecard) report(path, `Combiner "${id}" uses method scorecard but has no "scorecard" section (baseScore, baseOdds, pointsToDoubleOdds).`);
        if (node.method !== 'scorecard' && node.scorecard) report([...path, 'scorecard'], `"scorecard" applies to method scorecard; "${id}" uses ${node.method}.`);
        if (node.scorecard?.min !== undefined && node.scorecard.max !== undefined && node.scorecard.min > node.scorecard.max) {
          report([...path, 'scorecard', 'max'], `"max" (${node.scorecard.max}) is below "min" (${node.scorecard.min}).`);
        }
        for (const [version, def] of Object.entries(node.versions ?? {})) {
          for (const name of Object.keys(def.weights ?? {})) {
            if (!(name in node.components)) {
              report([...path, 'versions', version, 'weights', name], `Combiner "${id}" has no component "${name}". Components: ${Object.keys(node.components).join(', ')}.`, { key: true });
            }
          }
        }
        break;
      case 'switch': {
        const branches = [...node.cases.map((c) => c.then), node.default];
        if (branches.includes(id)) report(path, `Switch "${id}" cannot pick itself as a branch.`);
        break;
      }
      case 'onnx':
        break;
    }
  }
};
