import { didYouMean } from '../../errors/index.js';
import { compileCel, parseCel, type CelScope } from '../../nodes/expression/cel.js';
import { celExpressions } from '../references.js';
import { EXPRESSION_TYPE_NAMES, type ExpressionNodeFile, type SwitchNodeFile } from '../format.js';
import type { DocPath } from '../source.js';
import { typeToString, type CelProgram, type ExpressionNodeDef, type ExpressionVersionDef, type ValueType } from '../types.js';
import { compileExecution, compileRouting, contentHash, Reads, type CompileContext } from './context.js';

const RULE = 'expression';

/** Type-checks every version's expression; they must agree with each other and with `type`. */
export function compileExpressionNode(context: CompileContext, id: string, node: ExpressionNodeFile): ExpressionNodeDef | undefined {
  const versions: ExpressionVersionDef[] = [];
  const reads = new Reads();
  let resultType: ValueType | undefined;
  let failed = false;
  const sites = celExpressions(id, node);
  const versionFiles = node.versions ?? { v1: { expr: node.expr ?? '', description: undefined } };
  Object.entries(versionFiles).forEach(([name, version], index) => {
    const site = sites[index];
    if (!site) return;
    const program = compileExpression(context, id, site.source, site.path, reads);
    if (!program) {
      failed = true;
      return;
    }
    // An unknown declared type is the kinds rule's to report.
    const declared = (EXPRESSION_TYPE_NAMES as readonly string[]).includes(node.type ?? '') ? node.type : undefined;
    if (declared !== undefined && typeToString(program.resultType) !== declared) {
      context.report(RULE, site.path, `Expression of node "${id}" returns ${typeToString(program.resultType)}, but the node declares type ${declared}.${program.resultType.kind === 'list' ? '' : conversionHint(declared)}`);
      failed = true;
      return;
    }
    if (resultType && typeToString(resultType) !== typeToString(program.resultType)) {
      context.report(RULE, site.path, `Version "${name}" of node "${id}" returns ${typeToString(program.resultType)}, but earlier versions return ${typeToString(resultType)}.`);
      failed = true;
      return;
    }
    resultType = program.resultType;
    versions.push({ name, sha256: contentHash({ kind: 'expression', expr: site.source }), description: version.description, program });
  });
  if (failed || !resultType) return undefined;
  const outputs = [{ name: 'value', type: resultType, description: node.description }];
  return {
    id,
    kind: 'expression',
    description: node.description,
    ...reads.toDef(),
    outputs,
    versions,
    routing: compileRouting(context.pipeline, id, node.routing, versions.map((v) => v.name), outputs),
    execution: compileExecution(context, id, node, outputs, versions.map((v) => v.name)),
  };
}

/** The switch conditions, each a bool expression. */
export function compileConditions(context: CompileContext, id: string, node: SwitchNodeFile, reads: Reads): CelProgram[] | undefined {
  const programs: CelProgram[] = [];
  for (const site of celExpressions(id, node)) {
    const program = compileExpression(context, id, site.source, site.path, reads);
    if (!program) return undefined;
    if (typeToString(program.resultType) !== 'Boolean') {
      context.report(RULE, site.path, `A switch condition must be a bool, but this one returns ${typeToString(program.resultType)}.`);
      return undefined;
    }
    programs.push(program);
  }
  return programs;
}

/**
 * Compiles one CEL expression over `input` and the upstream nodes it names, reporting unknown
 * names and outputs with suggestions before handing type errors over from CEL.
 */
function compileExpression(context: CompileContext, id: string, source: string, path: DocPath, reads: Reads): CelProgram | undefined {
  const parsed = parseCel(source);
  if (!parsed.ok) {
    context.report(RULE, path, `The expression of node "${id}" does not parse: ${parsed.message}.`);
    return undefined;
  }
  const scope = new Map<string, ReadonlyMap<string, ValueType>>([['input', context.inputTypes]]);
  for (const reference of parsed.references) {
    if (reference.name === 'input') {
      if (reference.field !== undefined && !context.inputTypes.has(reference.field)) return undefined; // the references rule reported it
      if (reference.field !== undefined) reads.inputFields.add(reference.field);
      continue;
    }
    const outputs = context.outputTypes.get(reference.name);
    if (!outputs) {
      // A node that failed, is in a cycle or is this one: reported already by its own rule.
      if (context.nodeIds.has(reference.name)) return undefined;
      continue; // a macro variable, or an unknown name that the CEL check reports below
    }
    reads.nodes.add(reference.name);
    scope.set(reference.name, outputs);
    if (reference.field !== undefined && !outputs.has(reference.field)) {
      const names = [...outputs.keys()];
      context.report('references', path, `Node "${id}" reads "${reference.name}.${reference.field}", but node "${reference.name}" has no output "${reference.field}". Its outputs: ${names.join(', ')}.${didYouMean(reference.field, names)}`);
      return undefined;
    }
  }
  const compiled = compileCel(source, scope as CelScope);
  if (!compiled.ok) {
    const unknown = /^Unknown variable: (\w+)/.exec(compiled.message)?.[1];
    const field = parsed.references.find((reference) => reference.name === unknown)?.field;
    const text = field === undefined ? unknown : `${unknown}.${field}`;
    const message = unknown !== undefined
      ? `Node "${id}" reads "${text}", but no node "${unknown}" exists.${didYouMean(unknown, ['input', ...context.nodeIds])}`
      : `The expression of node "${id}" has a type error: ${compiled.message}.`;
    context.report(unknown ? 'references' : RULE, path, message);
    return undefined;
  }
  return compiled.program;
}

function conversionHint(type: string): string {
  if (type === 'Float') return ' Wrap it in double(...) to convert.';
  if (type === 'Int') return ' Wrap it in int(...) to convert.';
  if (type === 'String') return ' Wrap it in string(...) to convert.';
  return '';
}
