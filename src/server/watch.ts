import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

export interface Watcher {
  close(): void;
}

/**
 * Calls `onChange` (debounced) when a pipeline file or a model file changes. Watches the pipeline
 * folders and the folders of the model files they use; editors that save by rename are covered
 * because folders, not files, are watched.
 */
export async function watchFiles(paths: readonly string[], onChange: () => void, debounceMs = 150): Promise<Watcher> {
  const folders = new Set<string>();
  for (const p of paths) {
    const absolute = path.resolve(p);
    const info = await stat(absolute).catch(() => undefined);
    folders.add(info?.isDirectory() ? absolute : path.dirname(absolute));
  }
  let timer: NodeJS.Timeout | undefined;
  const trigger = (_event: string, filename: string | Buffer | null) => {
    if (filename && !/\.(ya?ml|onnx)$/.test(String(filename))) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  const watchers: FSWatcher[] = [...folders].map((folder) => watch(folder, { persistent: false }, trigger));
  return {
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
