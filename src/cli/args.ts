import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../errors/index.js';

/** A usage error: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}


type Options = NonNullable<ParseArgsConfig['options']>;
type OptionValue<T> = T extends { type: 'boolean' } ? boolean : T extends { multiple: true } ? string[] : string;

/** The parsed values of `options`: booleans, strings, or string lists for repeatable options. */
export type ParsedOptions<O extends Options> = { -readonly [K in keyof O]?: OptionValue<O[K]> };

/** Parses a command's arguments strictly; unknown options get a suggestion. */
export function parseCommandArgs<O extends Options>(
  args: readonly string[],
  options: O,
  allowPositionals = true,
): { values: ParsedOptions<O>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals, strict: true, allowNegative: true });
    return { values: parsed.values as ParsedOptions<O>, positionals: parsed.positionals };
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '(-{1,2})([^']+)'/.exec(message);
    if (unknown) {
      const names = Object.keys(options);
      throw new UsageError(`Unknown option "${unknown[1]}${unknown[2]}".${didYouMean(unknown[2] as string, names).replace(/"([^"]+)"/g, '"--$1"')}`);
    }
    throw new UsageError(message);
  }
}

/** An integer option within bounds; says which option and what arrived when not. */
export function integerOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}; got "${value}".`);
  }
  return number;
}

/** The pipeline locations: `--pipelines` (repeatable), else TESSERA_PIPELINES, else ./pipelines. */
export function pipelineLocations(values: readonly string[] | undefined): string[] {
  if (values && values.length > 0) return [...values];
  const fromEnv = process.env.TESSERA_PIPELINES;
  if (fromEnv) return fromEnv.split(',').filter(Boolean);
  return ['pipelines'];
}

export const PIPELINES_OPTION = { pipelines: { type: 'string', short: 'p', multiple: true } } as const;

/** The state store location: `--state`, else TESSERA_STATE, else .tessera/state.db; `memory` keeps nothing. */
export function stateLocation(value: string | undefined): string {
  return value ?? process.env.TESSERA_STATE ?? '.tessera/state.db';
}

export const STATE_OPTION = { state: { type: 'string' } } as const;
