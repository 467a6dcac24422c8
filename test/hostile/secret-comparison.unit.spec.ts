import crypto, { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { constantTimeEqual } from '@gatehouse/domain';
import { RootKey } from '../../apps/gatehouse/src/auth/root-key';
import { hashesEqual, mintCredential, parseCredential } from '../../apps/gatehouse/src/credentials/credentials';

/**
 * Presented secrets are compared in constant time: the root key through
 * crypto.timingSafeEqual (RootKey), API key digests (hashesEqual), invitation and link
 * tokens through the domain's constantTimeEqual (the domain imports nothing from Node). A scan of the
 * source holds every comparison of a stored secret hash to those helpers.
 */
describe('constant-time comparison of secrets', () => {
  afterEach(() => jest.restoreAllMocks());

  it('hashesEqual goes through constantTimeEqual and says equal only for equal digests', () => {
    const a = createHash('sha256').update('a').digest('hex');
    const b = createHash('sha256').update('b').digest('hex');
    expect(hashesEqual(a, a)).toBe(true);
    expect(hashesEqual(a, b)).toBe(false);
    // Differing in the last character only: no early exit can make this equal.
    expect(hashesEqual(a, a.slice(0, 63) + (a[63] === '0' ? '1' : '0'))).toBe(false);
    // Different lengths, empty, non-hex and upper-case input are unequal without throwing.
    expect(hashesEqual(a, a.slice(0, 62))).toBe(false);
    expect(hashesEqual('', '')).toBe(false);
    expect(hashesEqual('zz', 'zz')).toBe(false);
    expect(hashesEqual(a.toUpperCase(), a.toUpperCase())).toBe(false);
    const source = readFileSync(join(__dirname, '../../apps/gatehouse/src/credentials/credentials.ts'), 'utf8');
    const body = source.slice(source.indexOf('export function hashesEqual'), source.indexOf('\n}\n', source.indexOf('export function hashesEqual')));
    expect(body).toContain('constantTimeEqual(a, b)');
  });

  it('a minted key verifies against its own hash only', () => {
    const minted = mintCredential('gh', 'abcdefghijklmnop');
    const parsed = parseCredential(minted.token)!;
    expect(hashesEqual(minted.secretHash, parsed.secretHash)).toBe(true);
    const other = parseCredential(mintCredential('gh', 'abcdefghijklmnop').token)!;
    expect(hashesEqual(minted.secretHash, other.secretHash)).toBe(false);
    expect(minted.secretHash).not.toContain(minted.token.split('_')[2]);
  });

  it('RootKey.matches compares digests with crypto.timingSafeEqual, whatever the presented length', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    const root = RootKey.fromKey('ghroot_0123456789abcdef0123456789abcdef');
    expect(root.matches('ghroot_0123456789abcdef0123456789abcdef')).toBe(true);
    expect(root.matches('x')).toBe(false);
    expect(root.matches('ghroot_0123456789abcdef0123456789abcdef0')).toBe(false);
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it("constantTimeEqual (the domain's, for invitation and link tokens) is exact", () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'ab')).toBe(false);
    expect(constantTimeEqual('ab', 'abc')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('a\u0100', 'a\u0000')).toBe(false);
  });

  it('every comparison of a stored secret hash in the source goes through a constant-time helper', () => {
    const root = join(__dirname, '../..');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.endsWith('.spec.ts') && !path.includes('/testing/')) files.push(path);
      }
    };
    walk(join(root, 'apps'));
    walk(join(root, 'libs'));
    // `x.secretHash === y`, `y !== x.secretHash`, digest comparisons with ==, and Buffer#equals on hashes.
    // (The audit log's chain hashes are public: they are not secrets and not matched here.)
    const plain = /(secretHash|digest)\b\s*[!=]==?|[!=]==?\s*[\w.]*(secretHash|digest)\b|(secretHash|digest)\w*\.equals\(/;
    for (const sample of ['if (key.secretHash === presented) {', 'a !== b.secretHash', 'return this.digest.equals(x);']) expect(plain.test(sample)).toBe(true);
    const offenders = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ file: relative(root, file), line: i + 1, text: line.trim() }))
        .filter(({ text }) => plain.test(text) && !text.startsWith('//') && !text.startsWith('*')),
    );
    expect(offenders).toEqual([]);
    expect(files.length).toBeGreaterThan(50);
  });
});
