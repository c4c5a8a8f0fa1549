#!/usr/bin/env node
import './production.js';
import { readFileSync } from 'node:fs';
import { formatProblem, PipelineValidationError, TesseraError } from '../errors/index.js';
import { didYouMean } from '../errors/index.js';
import { UsageError } from './args.js';
import type { Command, CommandIO } from './command.js';
import { graphCommand } from './graph.js';
import { outcomesCommand } from './outcomes.js';
import { rolloutCommand } from './rollout.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { serveCommand } from './serve.js';
import { validateCommand } from './validate.js';

const COMMANDS: readonly Command[] = [serveCommand, validateCommand, runCommand, rolloutCommand, outcomesCommand, schemaCommand, graphCommand];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: tessera <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `tessera help <command>` for a command’s options.',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(version());
    return 0;
  }
  if (name === 'help') {
    const command = COMMANDS.find((c) => c.name === rest[0]);
    io.stdout(command ? `Usage: ${command.usage}\n\n${command.help}` : overview());
    return command || rest[0] === undefined ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`Unknown command "${name}".${didYouMean(name, COMMANDS.map((c) => c.name))}\n\n${overview()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`Usage: ${command.usage}\n\n${command.help}`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\nUsage: ${command.usage}`);
      return 2;
    }
    if (error instanceof PipelineValidationError) {
      for (const problem of error.problems) io.stderr(formatProblem(problem));
      io.stderr(`${error.problems.length} problem${error.problems.length === 1 ? '' : 's'} in the pipeline files.`);
      return 1;
    }
    if (error instanceof TesseraError) {
      io.stderr(error.message);
      return 1;
    }
    throw error;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly || process.argv[1]?.endsWith('/tessera')) {
  const io: CommandIO = {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    interactive: process.stderr.isTTY === true,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`Unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
