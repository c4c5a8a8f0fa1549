import ort from 'onnxruntime-node';
import type { SessionOptionsDef } from '../../definition/types.js';

/**
 * Creates an onnxruntime session from model bytes (already rewritten where needed). The defaults
 * (see `compileSession`) are one intra-op and one inter-op thread: requests are batched across
 * callers, so parallelism comes from many rows per run, not from splitting one small run over
 * threads that the HTTP server also needs.
 */
export function createSession(bytes: Uint8Array, options: SessionOptionsDef): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    executionMode: options.executionMode,
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: options.interOpThreads,
    graphOptimizationLevel: options.graphOptimizationLevel,
  });
}
