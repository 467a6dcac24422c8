import { Inject, Injectable } from '@nestjs/common';
import { Clock, Decision, DomainError, evaluate, PrincipalRef, ResourceAttributes } from '@gatehouse/domain';
import { CachedSubject, PermissionCache } from '@gatehouse/permission-cache';
import { Config } from '../config/config';
import { hashesEqual, parseCredential } from '../credentials/credentials';
import { ProjectionProgress } from '../projector/projection-progress';
import { CLOCK, CONFIG, PERMISSION_CACHE } from '../tokens';

export type CheckPrincipal = PrincipalRef | { apiKey: string };

export interface CheckInput {
  principal: CheckPrincipal;
  action: string;
  resource?: ResourceAttributes;
  consistency?: { atLeast?: string };
}

export interface CheckAnswer extends Decision {
  revision: string;
}

/**
 * The hot path: at most one cache read (none beyond memory in embedded mode), then
 * the pure evaluator. Any failure inside evaluation denies rather than allows.
 */
@Injectable()
export class CheckService {
  constructor(
    @Inject(PERMISSION_CACHE) private readonly cache: PermissionCache,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    private readonly progress: ProjectionProgress,
  ) {}

  async check(account: string, input: CheckInput): Promise<CheckAnswer> {
    const atLeast = input.consistency?.atLeast;
    if (atLeast !== undefined) {
      const reached = await this.progress.waitFor(BigInt(atLeast), this.config.consistencyTimeoutMs);
      if (!reached) {
        throw new DomainError(
          'CONSISTENCY.NOT_YET_APPLIED',
          'not_ready',
          `the permission cache has not reached revision ${atLeast} within ${this.config.consistencyTimeoutMs} ms: retry`,
          { atLeast },
        );
      }
    }
    const subject = await this.subjectOf(account, input.principal);
    const revision = (subject.position ?? 0n).toString();
    try {
      return { ...evaluate(subject.view, { action: input.action, resource: input.resource }, this.clock.now().getTime()), revision };
    } catch {
      // Fail closed: a defect in evaluation must never turn into an allow.
      return { allowed: false, reason: 'NO_GRANT', message: 'the check could not be evaluated', revision };
    }
  }

  private async subjectOf(account: string, principal: CheckPrincipal): Promise<CachedSubject> {
    if (!('apiKey' in principal)) return this.cache.subject(account, { principal });
    const parsed = parseCredential(principal.apiKey);
    if (!parsed || parsed.prefix !== 'gh') return this.unknownKey(account);
    const subject = await this.cache.subject(account, { keyId: parsed.id });
    if (!subject.key || !hashesEqual(subject.key.secretHash, parsed.secretHash)) {
      return { ...subject, key: null, view: { ...subject.view, key: null } };
    }
    return subject;
  }

  private async unknownKey(account: string): Promise<CachedSubject> {
    const subject = await this.cache.subject(account, { keyId: '-' });
    return { ...subject, key: null, view: { ...subject.view, principal: null, key: null } };
  }
}
