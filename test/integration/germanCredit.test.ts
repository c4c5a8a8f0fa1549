import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import type ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposeOutputs, runModel } from '../../examples/credit-score/lib/ort-run.js';
import { GERMAN_COLUMNS, germanFeeds, germanRows } from '../helpers/german.js';
import { cli, fixture, sharedData } from '../helpers/paths.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const run = promisify(execFile);

/**
 * The real German-credit GradientBoosting pipeline (skl2onnx, ZipMap) composed with a CEL node, a
 * scorecard and a grade; all 1000 rows of german.csv, through GraphQL and through `tessera run`,
 * compared with a direct onnxruntime-node run of the untouched model file.
 */
describe('a real model in a real composition: UCI German credit', () => {
  const rows = germanRows();
  let direct: { probability: number[]; label: number[] };
  let server: RunningServer;

  beforeAll(async () => {
    const file = sharedData('models/german_credit_gbc_pipeline_zipmap.onnx');
    const outputs = await runModel(exposeOutputs(readFileSync(file), ['probabilities'], 2), germanFeeds(rows.map((r) => r.input)), ['probabilities', 'output_label']);
    const probabilities = outputs.probabilities as ort.Tensor;
    direct = {
      probability: rows.map((_, i) => (probabilities.data as Float32Array)[i * 2 + 1] as number),
      label: Array.from(outputs.output_label?.data as BigInt64Array, Number),
    };
    server = await startServer(fixture('german-credit'));
  });
  afterAll(async () => {
    await server.close();
  });

  it('scores all 1000 rows through the GraphQL batch field; model outputs match the direct run', async () => {
    const response = await server.query(
      'query Batch($inputs: [GermanCreditInput!]!) { germanCreditBatch(inputs: $inputs) { probability label score grade reasons { code } routing { node version } } }',
      { inputs: rows.map((r) => r.input) },
    );
    expect(response.errors).toBeUndefined();
    const results = response.data?.germanCreditBatch as { probability: number; label: number; score: number; grade: string; routing: { node: string }[] }[];
    expect(results).toHaveLength(1000);
    results.forEach((result, i) => {
      expect(Math.abs(result.probability - (direct.probability[i] as number))).toBeLessThanOrEqual(1e-6);
      expect(result.label).toBe(direct.label[i]);
      expect(result.score).toBeGreaterThanOrEqual(300);
      expect(result.score).toBeLessThanOrEqual(850);
      expect(result.routing.map((d) => d.node).sort()).toEqual(['creditworthiness', 'grade', 'monthlyBurden', 'score']);
    });
    // The model is the real one: it agrees with the dataset's own labels (1 = good) in 86.8% of rows (SOURCES.md).
    const agree = results.filter((result, i) => result.label === (rows[i]?.label === 1 ? 1 : 0)).length;
    expect(agree).toBe(868);
  });

  it('scores the CSV through `tessera run`; outputs match the direct run and name the version used', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-german-'));
    const output = path.join(dir, 'scored.csv');
    const { stderr } = await run(process.execPath, [
      cli, 'run', sharedData('credit/german.csv'),
      '--pipelines', fixture('german-credit'), '--pipeline', 'germanCredit',
      '--columns', [...GERMAN_COLUMNS, 'datasetLabel'].join(','), '--passthrough', 'datasetLabel', '--line-keys',
      '--batch-size', '256', '--output', output,
    ]);
    expect(stderr).toMatch(/^Scored 1000 rows in [\d.]+ s \(\d+ rows\/s\): 1000 ok, 0 failed, 0 rejected\.\n$/);
    const scored = parse(readFileSync(output), { columns: true }) as Record<string, string>[];
    expect(scored).toHaveLength(1000);
    expect(Object.keys(scored[0] as object)).toEqual(['datasetLabel', 'applicationId', 'requestId', 'probability', 'label', 'score', 'grade', 'reasons', 'versions', 'error']);
    scored.forEach((row, i) => {
      expect(row.applicationId).toBe(`line-${i + 1}`);
      expect(Number(row.datasetLabel)).toBe(rows[i]?.label);
      expect(Number(row.label)).toBe(direct.label[i]);
      expect(Math.abs(Number(row.probability) - (direct.probability[i] as number))).toBeLessThanOrEqual(1e-6);
      expect(row.versions).toContain('creditworthiness=fintrust@8eb52884e24f');
      expect(row.error).toBe('');
    });
  });
});
