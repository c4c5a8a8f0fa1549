import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createSession } from '../nodes/onnx/session.js';
import { readOnnxModel } from '../nodes/onnx/signature.js';
import type { ModelArtifact, SessionOptionsDef } from './types.js';

const GIT_LFS_POINTER = 'version https://git-lfs.github.com/spec/';

export type ModelLoadResult = { readonly ok: true; readonly artifact: ModelArtifact } | { readonly ok: false; readonly message: string };

/**
 * Loads model files once each, however many versions name them. Only the loader touches the disk;
 * everything after it works from the artifacts.
 */
export class ModelLoader {
  readonly #loads = new Map<string, Promise<ModelLoadResult>>();

  /** Reads, hashes, decodes (rewriting ZipMap) and opens a session for the model at `modelPath`. */
  load(pipelineDir: string, modelPath: string, session: SessionOptionsDef): Promise<ModelLoadResult> {
    const absolutePath = path.resolve(pipelineDir, modelPath);
    const key = `${absolutePath}\u0000${JSON.stringify(session)}`;
    let pending = this.#loads.get(key);
    if (!pending) {
      pending = loadModel(modelPath, absolutePath, session);
      this.#loads.set(key, pending);
    }
    return pending;
  }

  /** Every artifact loaded so far (to release sessions when loading as a whole fails). */
  async artifacts(): Promise<ModelArtifact[]> {
    const results = await Promise.all(this.#loads.values());
    return results.flatMap((result) => (result.ok ? [result.artifact] : []));
  }
}

async function loadModel(modelPath: string, absolutePath: string, options: SessionOptionsDef): Promise<ModelLoadResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(absolutePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    return { ok: false, message: `Cannot read model file "${modelPath}" (${absolutePath}): ${reason}.` };
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  // A checkout without Git LFS has small text pointers where the models should be; say so plainly.
  if (Buffer.from(bytes.subarray(0, GIT_LFS_POINTER.length)).toString('latin1') === GIT_LFS_POINTER) {
    return { ok: false, message: `Model file "${modelPath}" cannot be used: it is a Git LFS pointer, not the model (run "git lfs pull").` };
  }
  const read = readOnnxModel(bytes);
  if (!read.ok) return { ok: false, message: `Model file "${modelPath}" cannot be used: ${read.reason}.` };
  try {
    const session = await createSession(read.bytes, options);
    return {
      ok: true,
      artifact: { path: modelPath, absolutePath, sha256, signature: read.signature, rewrittenZipMap: read.rewrittenZipMap, session },
    };
  } catch (error) {
    return { ok: false, message: `onnxruntime cannot load model file "${modelPath}": ${(error as Error).message.split('\n')[0]}` };
  }
}
