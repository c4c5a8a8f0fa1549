import { LineCounter, isMap, isNode, isPair, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { PipelineProblem, SourceLocation } from '../errors/index.js';

/** A path inside a document: map keys and sequence indices. */
export type DocPath = readonly (string | number)[];

/**
 * One parsed pipeline file: its plain value plus a way back from any path to a line and column,
 * so that every later rule can say exactly where a problem is.
 */
export interface PipelineSource {
  readonly file: string;
  readonly value: unknown;
  /** The position of the value at `path`; with `key`, the position of its key (for unknown keys). */
  locate(path: DocPath, options?: { key?: boolean }): SourceLocation;
  /** A problem at `path`. */
  problem(rule: string, path: DocPath, message: string, options?: { key?: boolean }): PipelineProblem;
}

/** Parses YAML, keeping positions. Syntax errors come back as problems, with their line and column. */
export function parseSource(file: string, text: string): { source: PipelineSource; problems: PipelineProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const problems: PipelineProblem[] = [];
  for (const error of doc.errors) {
    const [line, column] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [1, 1];
    problems.push({ rule: 'yaml-syntax', message: `YAML syntax error: ${firstLine(error.message)}`, path: '', location: { file, line, column } });
  }
  const value = problems.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
  const source = createSource(file, doc, lineCounter, value);
  return { source, problems };
}

function createSource(file: string, doc: Document, lineCounter: LineCounter, value: unknown): PipelineSource {
  const position = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const locate = (path: DocPath, options: { key?: boolean } = {}): SourceLocation => {
    // Walk as far as the path exists; a missing key is reported at its parent.
    let node: unknown = doc.contents;
    let keyNode: YamlNode | undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        keyNode = isNode(pair.key) ? pair.key : undefined;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
        keyNode = undefined;
        node = node.items[segment];
      } else {
        break;
      }
    }
    const target = options.key && keyNode ? keyNode : isNode(node) ? node : keyNode;
    return position(target?.range?.[0] ?? 0);
  };
  return {
    file,
    value,
    locate,
    problem: (rule, path, message, options) => ({ rule, message, path: path.join('.'), location: locate(path, options) }),
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
