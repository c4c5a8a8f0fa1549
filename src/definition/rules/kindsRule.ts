import { didYouMean } from '../../errors/index.js';
import { EXPRESSION_TYPE_NAMES } from '../format.js';
import type { Rule } from './context.js';

/** Types are declared by their GraphQL names; the CEL spelling is a likely slip. */
const CEL_TYPE_NAMES: ReadonlyMap<string, string> = new Map([['double', 'Float'], ['int', 'Int'], ['string', 'String'], ['bool', 'Boolean']]);

/** Kind-specific requirements the shape alone cannot say. */
export const kindsRule: Rule = ({ file, report }) => {
  for (const [id, node] of Object.entries(file.nodes)) {
    const path = ['nodes', id];
    switch (node.kind) {
      case 'expression':
        if (node.type !== undefined && !(EXPRESSION_TYPE_NAMES as readonly string[]).includes(node.type)) {
          const cel = CEL_TYPE_NAMES.get(node.type.toLowerCase());
          const suggestion = cel ? ` Did you mean "${cel}"?` : didYouMean(node.type, EXPRESSION_TYPE_NAMES);
          report([...path, 'type'], `Unknown type "${node.type}". Expected one of: ${EXPRESSION_TYPE_NAMES.join(', ')}.${suggestion}`);
        }
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
      case 'switch': // a switch that picks itself is reported by the references rule, at the branch
      case 'onnx':
        break;
    }
  }
};
