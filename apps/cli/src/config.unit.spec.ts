import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlobalFlags, maskKey, readProfiles, resolveSettings, writeProfiles } from './config';

describe('settings: flag > named profile > environment > "default" profile > built-in', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-config-'));
    file = join(dir, 'profiles.json');
    writeProfiles(file, {
      prod: { server: 'https://prod.example', apiKey: 'gh_prodkeyid_secret', account: 'acme' },
      default: { server: 'http://default.example', account: 'fallback' },
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const flags = (f: Partial<GlobalFlags> = {}): GlobalFlags => ({ json: false, ...f });

  it('built-in default, then the "default" profile', () => {
    expect(resolveSettings(flags(), { HOME: dir })).toMatchObject({ server: 'http://127.0.0.1:8080', apiKey: undefined, account: undefined, timeoutMs: 30_000 });
    expect(resolveSettings(flags(), { GATEHOUSE_CONFIG: file })).toMatchObject({ server: 'http://default.example', account: 'fallback' });
  });

  it('the environment beats the "default" profile', () => {
    const env = { GATEHOUSE_CONFIG: file, GATEHOUSE_SERVER: 'http://env.example/', GATEHOUSE_API_KEY: 'k-env' };
    expect(resolveSettings(flags(), env)).toMatchObject({ server: 'http://env.example', apiKey: 'k-env', account: 'fallback' });
  });

  it('a named profile beats the environment, a flag beats both', () => {
    const env = { GATEHOUSE_CONFIG: file, GATEHOUSE_SERVER: 'http://env.example', GATEHOUSE_API_KEY: 'k-env', GATEHOUSE_ACCOUNT: 'env-acct' };
    expect(resolveSettings(flags({ profile: 'prod' }), env)).toMatchObject({ server: 'https://prod.example', apiKey: 'gh_prodkeyid_secret', account: 'acme' });
    expect(resolveSettings(flags(), { ...env, GATEHOUSE_PROFILE: 'prod' })).toMatchObject({ account: 'acme' });
    expect(resolveSettings(flags({ profile: 'prod', account: 'flag-acct', timeout: '2.5' }), env)).toMatchObject({ account: 'flag-acct', timeoutMs: 2500 });
  });

  it('the profile verbs ignore profiles', () => {
    expect(resolveSettings(flags(), { GATEHOUSE_CONFIG: file, GATEHOUSE_PROFILE: 'missing' }, { profiles: false })).toMatchObject({ server: 'http://127.0.0.1:8080' });
  });

  it.each([
    [flags({ profile: 'staging' }), 'no profile "staging"'],
    [flags({ server: 'localhost:8080' }), '--server must use http:// or https://'],
    [flags({ server: 'not a url' }), '--server must be a URL'],
    [flags({ timeout: '0' }), '--timeout must be a positive number'],
  ])('refuses %j', (f, message) => {
    expect(() => resolveSettings(f, { GATEHOUSE_CONFIG: file })).toThrow(message);
  });

  it('writes the file for its owner only, and says which file is broken', () => {
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readProfiles(join(dir, 'absent.json'))).toEqual({});
    writeFileSync(file, '[1]');
    expect(() => readProfiles(file)).toThrow(`the profile file ${file} is not valid`);
    expect(readFileSync(file, 'utf8')).toBe('[1]');
  });

  it('shows a key by its id only', () => {
    expect(maskKey('gh_abcdefgh_SECRETSECRET')).toBe('gh_abcdefgh_…');
    expect(maskKey('ghroot_SECRET')).toBe('(set)');
    expect(maskKey(undefined)).toBe('-');
  });
});
