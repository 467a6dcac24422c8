import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCredential } from '../credentials/credentials';

/** Verifies the platform root key by digest; the key itself is never kept in memory longer than needed. */
export class RootKey {
  /**
   * @param shapedLikeApiKey the root key reads as a `gh_` API key: then every such key
   * must also be compared with it. Generated root keys (`ghroot_…`) never do.
   */
  private constructor(
    private readonly digest: Buffer,
    readonly shapedLikeApiKey: boolean,
  ) {}

  static fromKey(key: string): RootKey {
    return new RootKey(createHash('sha256').update(key).digest(), parseCredential(key)?.prefix === 'gh');
  }

  matches(presented: string): boolean {
    return timingSafeEqual(createHash('sha256').update(presented).digest(), this.digest);
  }

  /**
   * Embedded mode without GATEHOUSE_ROOT_KEY: the first start generates a key, stores
   * only its digest under the data directory and returns the key to print once;
   * later starts reuse the digest, so the printed key keeps working.
   */
  static embedded(dataDir: string): { rootKey: RootKey; generated?: string } {
    const file = join(dataDir, 'root-key.sha256');
    // Only `ghroot_` keys are ever written here, so the digest is never an API key's.
    if (existsSync(file)) return { rootKey: new RootKey(Buffer.from(readFileSync(file, 'utf8').trim(), 'hex'), false) };
    const key = `ghroot_${randomBytes(32).toString('base64url')}`;
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, createHash('sha256').update(key).digest('hex') + '\n', { mode: 0o600 });
    return { rootKey: RootKey.fromKey(key), generated: key };
  }
}
