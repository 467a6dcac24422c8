import { Inject, Injectable } from '@nestjs/common';
import { Actor, Clock, DomainError, subjectDenial } from '@gatehouse/domain';
import { CachedSubject } from '@gatehouse/permission-cache';
import { hashesEqual, parseCredential } from '../credentials/credentials';
import { CLOCK, ROOT_KEY } from '../tokens';
import { KeyLookup } from './key-lookup';
import { KeyUsage } from './key-usage';
import { RootKey } from './root-key';

const invalid = () => new DomainError('AUTH.INVALID_CREDENTIALS', 'unauthenticated', 'the API key is not valid for this account');

/** A presented API key, parsed: its record is read from the cache (possibly with other reads, see CheckService). */
export interface KeyCredential {
  kind: 'key';
  keyId: string;
  secretHash: string;
}

export type Credential = { kind: 'root' } | KeyCredential;

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
    const credential = this.credential(authorization);
    if (credential.kind === 'root') return { kind: 'root' };
    if (account === null) {
      const home = await this.keys.accountOf(credential.keyId);
      if (home === null) throw invalid();
      return { ...this.keyActor(home, credential, await this.keys.subject(home, credential.keyId)), home };
    }
    return this.keyActor(account, credential, await this.keys.subject(account, credential.keyId));
  }

  /** The credential in the header, without any I/O: the root key is verified here, an API key only parsed. */
  credential(authorization: string | undefined): Credential {
    if (!authorization) {
      throw new DomainError('AUTH.MISSING_CREDENTIALS', 'unauthenticated', 'send an API key as `Authorization: Bearer <key>`');
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) throw new DomainError('AUTH.MALFORMED_CREDENTIALS', 'unauthenticated', 'expected `Authorization: Bearer <key>`');
    const presented = m[1];
    const parsed = parseCredential(presented);
    const key = parsed?.prefix === 'gh' ? ({ kind: 'key', keyId: parsed.id, secretHash: parsed.secretHash } as const) : null;
    // The root key is not shaped like an API key (unless configured so), so a `gh_` key
    // skips hashing the root key's digest on every request.
    if (key && !this.rootKey.shapedLikeApiKey) return key;
    if (this.rootKey.matches(presented)) return { kind: 'root' };
    if (key) return key;
    throw invalid();
  }

  /**
   * The actor a presented key stands for, given its record as read from the cache in
   * `account`; throws when the key is unknown, forged or no longer valid there.
   */
  keyActor(account: string, credential: KeyCredential, subject: CachedSubject): Actor {
    const key = subject.key;
    if (!key || !hashesEqual(key.secretHash, credential.secretHash)) throw invalid();
    // The same rules as a check: revoked, expired, ended membership, inactive owner, deleted account.
    if (subjectDenial(subject.view, this.clock.now().getTime())) throw invalid();
    this.usage.used(account, key.id);
    return { kind: 'principal', principal: key.owner, keyId: key.id, ...(key.restriction ? { restriction: key.restriction } : {}) };
  }
}
