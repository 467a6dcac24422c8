// Compiles apps/, libs/, bench/ and test/support to dist/ with swc (about a second),
// rewriting the @gatehouse/* path aliases to relative requires so plain `node` runs
// the output. Type checking is separate: `npm run typecheck` (tsc --noEmit).
import { transformFile } from '@swc/core';
import { chmod, mkdir, readdir, writeFile, rm, cp } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const out = join(root, 'dist');
const roots = ['apps', 'libs', 'bench', 'test/support'];

async function* walk(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

const options = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    baseUrl: root,
    paths: { '@gatehouse/*': ['libs/*/src'] },
  },
  module: { type: 'commonjs' },
  sourceMaps: true,
};

await rm(out, { recursive: true, force: true });
let count = 0;
for (const r of roots) {
  for await (const file of walk(join(root, r))) {
    const target = join(out, relative(root, file));
    if (file.endsWith('.spec.ts')) continue;
    await mkdir(dirname(target), { recursive: true });
    if (file.endsWith('.ts') && !file.endsWith('.d.ts')) {
      const js = target.replace(/\.ts$/, '.js');
      const result = await transformFile(file, { ...options, filename: file, sourceFileName: relative(dirname(js), file) });
      await writeFile(js, result.code + `\n//# sourceMappingURL=${js.split('/').pop()}.map\n`);
      if (result.map) await writeFile(js + '.map', result.map);
      count++;
    } else if (/\.(json|proto|lua|ya?ml)$/.test(file)) {
      await cp(file, target);
    }
  }
}
// The CLI is an npm bin: executable, like npm would make it on install.
await chmod(join(out, 'apps/cli/src/main.js'), 0o755).catch(() => undefined);
console.error(`build: ${count} files compiled to dist/`);
