/**
 * (b) The hand-written peer: a node:http JSON endpoint that scores one applicant per request with
 * one session.run per sub-model, as a user would write it without Tessera. Run as a child process.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApplicantInput } from '../examples/credit-score/generate.js';
import { loadModels, scorecard, scoreRows } from './models.js';

const models = await loadModels();
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let applicant: ApplicantInput;
    try {
      applicant = JSON.parse(Buffer.concat(chunks).toString()) as ApplicantInput;
    } catch {
      response.writeHead(400).end('bad json');
      return;
    }
    scoreRows(models, [applicant]).then(
      ([probabilities]) => {
        const body = JSON.stringify(scorecard(applicant, probabilities as { pd: number; unaffordable: number; fraud: number }));
        response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      },
      (error: Error) => response.writeHead(500).end(error.message),
    );
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
