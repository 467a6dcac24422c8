import { Inject, Injectable } from '@nestjs/common';
import { Actor, Clock, DomainError, subjectDenial } from '@gatehouse/domain';
import { EventStore } from '@gatehouse/event-store';
import { PermissionCache } from '@gatehouse/permission-cache';
import { Config } from '../config/config';
import { hashesEqual, parseCredential } from '../credentials/credentials';
import { RootKey } from './root-key';
import { ProjectionProgress } from '../projector/projection-progress';
import { CLOCK, CONFIG, EVENT_STORE, PERMISSION_CACHE, ROOT_KEY } from '../tokens';
import { KeyUsage } from './key-usage';

const invalid = () => new DomainError('AUTH.INVALID_CREDENTIALS', 'unauthenticated', 'the API key is not valid for this account');

/**
 * Turns `Authorization: Bearer …` into an Actor. Every failure looks the same to the
 * caller (no hint whether the key exists, is revoked or belongs elsewhere).
 */
@Injectable()
export class Authenticator {
  constructor(
    @Inject(PERMISSION_CACHE) private readonly cache: PermissionCache,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ROOT_KEY) private readonly rootKey: RootKey,
    @Inject(CONFIG) private readonly config: Config,
    private readonly progress: ProjectionProgress,
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
      const home = await this.cache.accountOfKey(parsed.id);
      if (home === null) throw invalid();
      return { ...(await this.authenticate(authorization, home)), home };
    }

    let subject = await this.cache.subject(account, { keyId: parsed.id });
    if (!subject.key) {
      // A key used right after its creation may not be projected yet: catch up to the head once.
      const head = await this.store.headPosition().catch(() => null);
      if (head !== null && (subject.position === null || subject.position < head)) {
        await this.progress.waitFor(head, this.config.consistencyTimeoutMs);
        subject = await this.cache.subject(account, { keyId: parsed.id });
      }
    }
    const key = subject.key;
    if (!key || !hashesEqual(key.secretHash, parsed.secretHash)) throw invalid();
    // The same rules as a check: revoked, expired, ended membership, inactive owner, deleted account.
    if (subjectDenial(subject.view, this.clock.now().getTime())) throw invalid();
    this.usage.used(account, key.id);
    return { kind: 'principal', principal: key.owner, keyId: key.id, ...(key.restriction ? { restriction: key.restriction } : {}) };
  }
}
