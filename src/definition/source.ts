import {
  LineCounter,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node as YamlNode,
  type Range,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
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
  const syntaxError = (message: string, offset: number) => {
    // Without prettyErrors, `error.linePos` is never set: positions come from the offsets.
    const { line, col } = lineCounter.linePos(offset);
    problems.push({ rule: 'yaml-syntax', message: `YAML syntax error: ${message}`, path: '', location: { file, line, column: col } });
  };
  // After the first structural error the parser is out of step and the errors that follow are
  // mostly echoes of it; duplicate keys are independent of each other, so each is reported.
  let structural = false;
  for (const error of doc.errors) {
    const offset = error.pos[0];
    if (error.code === 'DUPLICATE_KEY') {
      const key = scalarAt(doc, (range) => range[0] === offset);
      syntaxError(key ? `Duplicate key ${JSON.stringify(String(key.value))}; keys in a map must be unique.` : firstLine(error.message), offset);
    } else if (!structural) {
      structural = true;
      // An unclosed quote, { or [ is noticed where the parser gives up, often lines later or at the
      // end of the file; the place it opens is where to look.
      syntaxError(firstLine(error.message), unclosedAt(doc, error.code, offset) ?? offset);
    }
  }
  let value: unknown;
  if (problems.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // Unresolved aliases and alias bombs only show up when the document is converted.
      const unresolved = firstAlias(doc, (alias) => alias.resolve(doc) === undefined);
      syntaxError(firstLine((error as Error).message), unresolved?.range?.[0] ?? 0);
    }
  }
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

function scalarAt(doc: Document, test: (range: Range, type: Scalar['type']) => boolean): Scalar | undefined {
  let found: Scalar | undefined;
  visit(doc, {
    Scalar(_, node) {
      if (node.range && test(node.range, node.type)) {
        found = node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** The start of the quoted string (MISSING_CHAR) or flow collection (BAD_INDENT) left open at `offset`. */
function unclosedAt(doc: Document, code: string, offset: number): number | undefined {
  if (code === 'MISSING_CHAR') return scalarAt(doc, (range, type) => range[1] === offset && type?.startsWith('QUOTE_') === true)?.range?.[0];
  if (code !== 'BAD_INDENT') return undefined;
  let start: number | undefined;
  const collection = (_: unknown, node: YAMLMap | YAMLSeq) => {
    if (node.flow && node.range?.[1] === offset) {
      start = node.range[0];
      return visit.BREAK;
    }
    return undefined;
  };
  visit(doc, { Map: collection, Seq: collection });
  return start;
}

function firstAlias(doc: Document, test: (alias: Alias) => boolean): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias(_, node) {
      if (test(node)) {
        found = node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}
