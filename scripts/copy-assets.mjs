// After tsc: copies the files of src/ that tsc does not emit (plain CommonJS worker scripts) to
// dist/, and makes the CLI executable, so that `./dist/cli/main.js` runs as the `tessera` bin does.
import { chmodSync, cpSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const entry of readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.cjs')) continue;
  const from = path.join(entry.parentPath, entry.name);
  cpSync(from, path.join(root, 'dist', path.relative(path.join(root, 'src'), from)));
}
chmodSync(path.join(root, 'dist/cli/main.js'), 0o755);
