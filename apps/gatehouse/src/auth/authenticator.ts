import { Inject, Injectable } from '@nestjs/common';
import { Actor, Clock, DomainError, subjectDenial } from '@gatehouse/domain';
import { hashesEqual, parseCredential } from '../credentials/credentials';
import { CLOCK, ROOT_KEY } from '../tokens';
import { KeyLookup } from './key-lookup';
import { KeyUsage } from './key-usage';
import { RootKey } from './root-key';

const invalid = () => new DomainError('AUTH.INVALID_CREDENTIALS', 'unauthenticated', 'the API key is not valid for this account');

/**
 * Turns `Authorization: Bearer …` into an Actor. Every failure looks the same to the
 * caller (no hint whether the key exists, is revoked or belongs elsewhere).
 */
@Injectable()
export class Authenticator {
  constructor(
    @Inject(ROOT_KEY) private readonly rootKey: RootKey,
    private readonly keys: KeyLookup,
    private readonly usage: KeyUsage,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * @param account the account in the path; null for routes outside any account, where a
   * key is authenticated in its own account (returned as `home`).
   */
  async authenticate(authorization: string | undefined, account: string | null): Promise<Actor & { home?: string }> {
    if (!authorization) {
      throw new DomainError('AUTH.MISSING_CREDENTIALS', 'unauthenticated', 'send an API key as `Authorization: Bearer <key>`');
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) throw new DomainError('AUTH.MALFORMED_CREDENTIALS', 'unauthenticated', 'expected `Authorization: Bearer <key>`');
    const presented = m[1];
    if (this.rootKey.matches(presented)) return { kind: 'root' };
    const parsed = parseCredential(presented);
    if (!parsed || parsed.prefix !== 'gh') throw invalid();
    if (account === null) {
      const home = await this.keys.accountOf(parsed.id);
      if (home === null) throw invalid();
      return { ...(await this.authenticate(authorization, home)), home };
    }

    const subject = await this.keys.subject(account, parsed.id);
    const key = subject.key;
    if (!key || !hashesEqual(key.secretHash, parsed.secretHash)) throw invalid();
    // The same rules as a check: revoked, expired, ended membership, inactive owner, deleted account.
    if (subjectDenial(subject.view, this.clock.now().getTime())) throw invalid();
    this.usage.used(account, key.id);
    return { kind: 'principal', principal: key.owner, keyId: key.id, ...(key.restriction ? { restriction: key.restriction } : {}) };
  }
}
