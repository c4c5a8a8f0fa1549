import { FIXED_QUERY_FIELDS } from '../../graphql/names.js';
import type { Rule } from './context.js';

/** Result fields every pipeline result has; outputs may not take these names. */
export const RESERVED_RESULT_FIELDS = ['requestId', 'traceId', 'nodes', 'routing', 'timings'] as const;


/** `input` names the request input, `math` the CEL math extension; CEL keywords cannot be variables. */
const RESERVED_NODE_IDS = [
  'input', 'math', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop',
  'package', 'namespace', 'return', 'var', 'void', 'while', 'true', 'false', 'null',
];

/** CEL (@marcbachmann/cel-js) finds a record's type by its `constructor`: no field may take that name. */
const CEL_RESERVED_FIELD = 'constructor';
const CEL_RESERVED_MESSAGE = (what: string) => `${what} cannot be called "${CEL_RESERVED_FIELD}": expressions read records through CEL, which reserves that name; rename it.`;

const RESERVED_REASONS: Readonly<Record<string, string>> = { input: 'it names the request input', math: 'it names the CEL math extension' };

/**
 * GraphQL naming rules beyond the character pattern (which the shape check enforces): names that
 * start with `__` are reserved for introspection, and a few names are taken by Tessera itself.
 */
export const namingRule: Rule = ({ file, report }) => {
  const introspection = (name: string) => name.startsWith('__');
  if (introspection(file.name)) {
    report(['name'], `"${file.name}" starts with "__", which GraphQL reserves for introspection.`);
  } else if (FIXED_QUERY_FIELDS.includes(file.name)) {
    report(['name'], `Pipeline name "${file.name}" is taken by Tessera’s own query field "${file.name}"; rename the pipeline.`);
  } else if (!/^[a-z]/.test(file.name)) {
    report(['name'], `Pipeline name "${file.name}" must start with a lowercase letter: it becomes the GraphQL query field (e.g. "creditScore").`);
  }
  for (const id of Object.keys(file.nodes)) {
    if (introspection(id)) report(['nodes', id], `Node id "${id}" starts with "__", which GraphQL reserves for introspection.`, { key: true });
    if (RESERVED_NODE_IDS.includes(id)) {
      report(['nodes', id], `"${id}" cannot be a node id: it is reserved (${RESERVED_REASONS[id] ?? 'a CEL keyword'}).`, { key: true });
    }
  }
  for (const name of Object.keys(file.outputs)) {
    if ((RESERVED_RESULT_FIELDS as readonly string[]).includes(name)) {
      report(['outputs', name], `Output "${name}" clashes with a field every result has (${RESERVED_RESULT_FIELDS.join(', ')}); rename it.`, { key: true });
    }
    if (introspection(name)) report(['outputs', name], `Output "${name}" starts with "__", which GraphQL reserves for introspection.`, { key: true });
  }
  for (const name of Object.keys(file.input)) {
    if (introspection(name)) report(['input', name], `Input field "${name}" starts with "__", which GraphQL reserves for introspection.`, { key: true });
    if (name === CEL_RESERVED_FIELD) report(['input', name], CEL_RESERVED_MESSAGE("An input field"), { key: true });
  }
  for (const [id, node] of Object.entries(file.nodes)) {
    const outputs = (node as { outputs?: unknown }).outputs;
    if (typeof outputs !== 'object' || outputs === null) continue;
    if (Object.hasOwn(outputs, CEL_RESERVED_FIELD)) {
      report(['nodes', id, 'outputs', CEL_RESERVED_FIELD], CEL_RESERVED_MESSAGE(`An output of node "${id}"`), { key: true });
    }
  }
  for (const [name, values] of Object.entries(file.enums ?? {})) {
    const seen = new Set<string>();
    values.forEach((value, index) => {
      if (['true', 'false', 'null'].includes(value)) report(['enums', name, index], `Enum value "${value}" is not allowed by GraphQL.`);
      if (seen.has(value)) report(['enums', name, index], `Enum "${name}" lists "${value}" twice.`);
      seen.add(value);
    });
  }
};
