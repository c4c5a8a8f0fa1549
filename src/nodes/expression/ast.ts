/** What the CEL modules share: cel-js's syntax tree, an expression's scope and CEL's type names. */
import type { ValueType } from '../../definition/types.js';

/** A node of cel-js's syntax tree (`parse(source).ast`). */
export interface AstNode {
  readonly op: string;
  readonly args: unknown;
  readonly pos?: number;
}

export function isAstNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { op?: unknown }).op === 'string';
}

/** The variables an expression may read: `input` and upstream nodes, each a record of typed fields. */
export type CelScope = ReadonlyMap<string, ReadonlyMap<string, ValueType>>;

/** The CEL spelling of a value type. */
export function celTypeName(type: ValueType): string {
  switch (type.kind) {
    case 'scalar':
      return type.name === 'Float' ? 'double' : type.name === 'Int' ? 'int' : type.name === 'Boolean' ? 'bool' : 'string';
    case 'enum':
      return 'string';
    case 'list':
      return `list<${celTypeName(type.of)}>`;
    case 'object':
      return 'map<string, dyn>';
  }
}
