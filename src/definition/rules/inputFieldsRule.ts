import { didYouMean } from '../../errors/index.js';
import { SCALAR_TYPE_NAMES } from '../format.js';
import { describe } from '../shape.js';
import type { Rule } from './context.js';

const ROUTING_KEY_TYPES = ['ID', 'String', 'Int'];

/**
 * Input field types exist, defaults fit their field, ranges make sense, and the routing key is an
 * input field that can identify a unit.
 */
export const inputFieldsRule: Rule = ({ file, report }) => {
  const enums = file.enums ?? {};
  const typeNames = [...SCALAR_TYPE_NAMES, ...Object.keys(enums)];
  for (const [name, field] of Object.entries(file.input)) {
    const path = ['input', name];
    const isEnum = field.type in enums;
    if (!(SCALAR_TYPE_NAMES as readonly string[]).includes(field.type) && !isEnum) {
      report([...path, 'type'], `Unknown type "${field.type}". Expected one of: ${typeNames.join(', ')}.${didYouMean(field.type, typeNames)}`);
      continue;
    }
    const numeric = field.type === 'Float' || field.type === 'Int';
    if (!numeric) {
      if (field.min !== undefined) report([...path, 'min'], `"min" applies to Float and Int fields; "${name}" is ${field.type}.`);
      if (field.max !== undefined) report([...path, 'max'], `"max" applies to Float and Int fields; "${name}" is ${field.type}.`);
    }
    if (field.type === 'Int') {
      for (const bound of ['min', 'max'] as const) {
        const value = field[bound];
        if (value !== undefined && !Number.isInteger(value)) report([...path, bound], `"${bound}" of Int field "${name}" must be an integer, got ${value}.`);
      }
    }
    if (field.min !== undefined && field.max !== undefined && field.min > field.max) {
      report([...path, 'max'], `"max" (${field.max}) is below "min" (${field.min}).`);
    }
    if (field.default !== undefined) {
      const problem = defaultProblem(field.type, enums[field.type], field.default, field.min, field.max);
      if (problem) report([...path, 'default'], `Default of "${name}" ${problem}`);
    }
  }
  const key = file.input[file.routingKey];
  const fields = Object.keys(file.input);
  if (!key) {
    report(['routingKey'], `Routing key "${file.routingKey}" is not an input field. Expected one of: ${fields.join(', ')}.${didYouMean(file.routingKey, fields)}`);
  } else if (!ROUTING_KEY_TYPES.includes(key.type)) {
    report(['routingKey'], `Routing key "${file.routingKey}" is ${key.type}; it must be ${ROUTING_KEY_TYPES.slice(0, -1).join(', ')} or ${ROUTING_KEY_TYPES.at(-1)} to identify a unit.`);
  }
};

function defaultProblem(
  type: string,
  enumValues: readonly string[] | undefined,
  value: string | number | boolean,
  min: number | undefined,
  max: number | undefined,
): string | undefined {
  if (enumValues) {
    return typeof value === 'string' && enumValues.includes(value)
      ? undefined
      : `must be one of ${enumValues.join(', ')}, got ${describe(value)}.${didYouMean(String(value), enumValues)}`;
  }
  switch (type) {
    case 'Float':
    case 'Int': {
      if (typeof value !== 'number' || (type === 'Int' && !Number.isInteger(value))) return `must be ${type === 'Int' ? 'an integer' : 'a number'}, got ${describe(value)}.`;
      if (min !== undefined && value < min) return `(${value}) is below "min" (${min}).`;
      if (max !== undefined && value > max) return `(${value}) is above "max" (${max}).`;
      return undefined;
    }
    case 'Boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false, got ${describe(value)}.`;
    default:
      return typeof value === 'string' ? undefined : `must be a string, got ${describe(value)}.`;
  }
}
