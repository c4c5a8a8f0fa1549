import ort from 'onnxruntime-node';

/**
 * Session options for this kind of machine: one intra-op and one inter-op thread per session.
 * Requests run concurrently and are batched across requests, so parallelism comes from serving many
 * rows per run, not from splitting one small run over threads that the HTTP server also needs.
 */
export const DEFAULT_SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionMode: 'sequential',
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

/** Creates an onnxruntime session from model bytes (already rewritten where needed). */
export function createSession(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions = DEFAULT_SESSION_OPTIONS): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, options);
}
