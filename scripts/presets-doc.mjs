// Rewrites docs/presets.md from the preset files (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { presetsMarkdown } = require('../dist/libs/domain/src/presets/presets-doc.js');
writeFileSync(new URL('../docs/presets.md', import.meta.url), presetsMarkdown());
console.error('docs/presets.md written');
