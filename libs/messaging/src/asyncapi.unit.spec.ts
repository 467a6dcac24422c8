import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncApiDocument, asyncApiYaml, toYaml } from './asyncapi';

const FILE = join(__dirname, '../../../docs/asyncapi.yaml');

it('docs/asyncapi.yaml is generated from the schemas the code uses, and up to date', () => {
  if (process.env.GATEHOUSE_UPDATE_ASYNCAPI === '1') writeFileSync(FILE, asyncApiYaml());
  expect(readFileSync(FILE, 'utf8')).toBe(asyncApiYaml());
});

it('the YAML reads back as the same document', () => {
  let yaml: { load(text: string): unknown } | null = null;
  try {
    yaml = require('js-yaml'); // eslint-disable-line @typescript-eslint/no-require-imports -- present through jest; the check is skipped without it
  } catch {
    return;
  }
  expect(yaml!.load(asyncApiYaml())).toEqual(asyncApiDocument());
  const tricky = { a: ['x', { b: 'yes', c: '1.5', d: 'a: b', e: '', f: [] }, []], 'g h': { i: null, j: true, k: 3 }, l: ['- x', '#y'] };
  expect(yaml!.load(toYaml(tricky))).toEqual(tricky);
});
