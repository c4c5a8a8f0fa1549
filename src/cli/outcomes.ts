import { adminRequest, serverUrl } from './client.js';
import { integerOption, parseCommandArgs, UsageError } from './args.js';
import type { Command } from './command.js';
import { checkInputFile, openRejectsFile, readRecords } from './records.js';
import { EXIT_ROWS_FAILED } from './run.js';

interface Result {
  requestId: string;
  status: string;
  message: string | null;
}

export const outcomesCommand: Command = {
  name: 'outcomes',
  summary: 'Import outcomes from a JSONL file into a running server.',
  usage: 'tessera outcomes FILE.jsonl [--url URL] [--batch-size N] [--rejects FILE]',
  help: `Each line is {"requestId": "...", "value": 1, "node": "optional"}. Sent in batches through the
reportOutcomes mutation (admin token from TESSERA_ADMIN_TOKEN). Idempotent: importing a file twice counts
each outcome once. Lines that are not valid, whose request is unknown or expired, or whose value differs
from one already counted for the request or one of its nodes (CONFLICT: the first counts; a line counted
for the other nodes is also counted as accepted), are written to the rejects file (default: the input's
name plus .rejects.jsonl, e.g. outcomes.jsonl.rejects.jsonl) with their line number and reason.
Exit codes: 0 every outcome accepted (or already counted); ${EXIT_ROWS_FAILED} some rejected or in conflict.`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { url: { type: 'string' }, 'batch-size': { type: 'string' }, rejects: { type: 'string' } });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError('Give exactly one JSONL file.');
    const url = serverUrl(values.url);
    const batchSize = integerOption('batch-size', values['batch-size'], 1000, 1, 10_000);
    const rejectsPath = values.rejects ?? `${file}.rejects.jsonl`;
    // `partly`: accepted for some nodes, and a conflict on others (written to the rejects file too).
    const counts = { accepted: 0, partly: 0, duplicate: 0, rejected: 0 };
    await checkInputFile(file); // a file that cannot be read (or is not UTF-8) is a usage error, before anything is sent
    const rejects = await openRejectsFile(rejectsPath, [file]);
    const reject = async (line: number, reason: string, raw: string) => {
      counts.rejected++;
      await rejects.write(line, reason, raw);
    };
    // Each outcome keeps its line and raw text: a reject from the server is written like one found here.
    let batch: { line: number; raw: string; outcome: { requestId: string; value: number; node?: string } }[] = [];
    const send = async () => {
      if (batch.length === 0) return;
      const sent = batch;
      batch = [];
      const data = await adminRequest<{ reportOutcomes: Result[] }>(url, 'mutation ($o: [OutcomeInput!]!) { reportOutcomes(outcomes: $o) { requestId status message } }', { o: sent.map((s) => s.outcome) });
      for (const [i, result] of data.reportOutcomes.entries()) {
        const { line, raw } = sent[i] as (typeof sent)[number];
        if (result.status === 'ACCEPTED') {
          counts.accepted++;
          if (result.message !== null) {
            counts.partly++;
            await rejects.write(line, `CONFLICT: ${result.message}`, raw);
          }
        } else if (result.status === 'DUPLICATE') counts.duplicate++;
        else await reject(line, `${result.status}: ${result.message}`, raw);
      }
    };
    for await (const record of readRecords(file, { format: 'jsonl' })) {
      if (!record.ok) {
        await reject(record.line, record.error, record.raw);
        continue;
      }
      const { requestId, value, node, ...extra } = record.fields as Record<string, unknown>;
      const problem =
        typeof requestId !== 'string' || requestId === '' ? 'requestId must be a non-empty string' :
        typeof value !== 'number' || !Number.isFinite(value) ? 'value must be a finite number' :
        node !== undefined && typeof node !== 'string' ? 'node must be a string' :
        Object.keys(extra).length > 0 ? `unknown field${Object.keys(extra).length > 1 ? 's' : ''} ${Object.keys(extra).join(', ')} (expected requestId, value, node)` : undefined;
      if (problem) {
        await reject(record.line, problem, record.raw);
        continue;
      }
      batch.push({ line: record.line, raw: record.raw, outcome: { requestId: requestId as string, value: value as number, ...(typeof node === 'string' ? { node } : {}) } });
      if (batch.length >= batchSize) await send();
    }
    await send();
    await rejects.close();
    const partly = counts.partly > 0 ? ` (${counts.partly} of them not for every node: a different value was counted there before)` : '';
    const problems = counts.rejected + counts.partly > 0;
    io.stderr(`Outcomes: ${counts.accepted} accepted${partly}, ${counts.duplicate} already counted, ${counts.rejected} rejected${problems ? ` (see ${rejectsPath})` : ''}.`);
    return problems ? EXIT_ROWS_FAILED : 0;
  },
};
