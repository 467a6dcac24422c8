import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { presetsMarkdown } from './presets-doc';

it('docs/presets.md is generated from the preset files and up to date (npm run docs:presets)', () => {
  expect(readFileSync(join(__dirname, '../../../../docs/presets.md'), 'utf8')).toBe(presetsMarkdown());
});
