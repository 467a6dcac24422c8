import { Inject, Injectable } from '@nestjs/common';
import { MAX_BULK_CHECKS } from '@gatehouse/contracts';
import { Clock, Decision, DomainError, evaluate, PrincipalRef, ResourceAttributes } from '@gatehouse/domain';
import { CachedSubject, PermissionCache, SubjectRef } from '@gatehouse/permission-cache';
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

/** One check of a batch: the batch gives the account and the consistency once. */
export type BulkCheckItem = Omit<CheckInput, 'consistency'>;

/** An item's answer, or why it has none (a transport maps the error as it would for a single check). */
export type BulkCheckResult = { answer: CheckAnswer } | { error: unknown };

export interface CheckOptions {
  /** The caller's own bound on waiting for `consistency.atLeast` (a gRPC deadline); the server's timeout still applies. */
  waitMs?: number;
}

/** Refuses an oversized batch before any of its items is looked at. */
export function assertBulkSize(count: number): void {
  if (count > MAX_BULK_CHECKS) {
    throw new DomainError('CHECK.TOO_MANY_ITEMS', 'validation', `a batch holds at most ${MAX_BULK_CHECKS} checks, got ${count}`, {
      limit: MAX_BULK_CHECKS,
      count,
    });
  }
}

const refKey = (ref: SubjectRef): string => ('principal' in ref ? `p:${ref.principal.type}:${ref.principal.id}` : `k:${ref.keyId}`);

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

  async check(account: string, input: CheckInput, options: CheckOptions = {}): Promise<CheckAnswer> {
    await this.reach(input.consistency?.atLeast, options);
    return this.decide(await this.subjectOf(account, input.principal), input);
  }

  /**
   * Up to MAX_BULK_CHECKS checks, each answered on its own: an item that failed the
   * transport's validation (passed in as its DomainError) or whose subject cannot be
   * read gets an error result, the others still get answers. Every distinct subject is
   * read from the cache once (one round trip each at most), however many items name it.
   * `revision` is the lowest any answer reflects, so every answer is at least that fresh.
   */
  async checkBulk(
    account: string,
    items: ReadonlyArray<BulkCheckItem | DomainError>,
    consistency: CheckInput['consistency'],
    options: CheckOptions = {},
  ): Promise<{ results: BulkCheckResult[]; revision: string }> {
    assertBulkSize(items.length);
    await this.reach(consistency?.atLeast, options);
    const reads = new Map<string, Promise<CachedSubject>>();
    const read = (ref: SubjectRef): Promise<CachedSubject> => {
      const key = refKey(ref);
      let subject = reads.get(key);
      if (!subject) reads.set(key, (subject = this.cache.subject(account, ref)));
      return subject;
    };
    let lowest: bigint | null = null;
    const results = await Promise.all(
      items.map(async (item): Promise<BulkCheckResult> => {
        if (item instanceof DomainError) return { error: item };
        try {
          const subject = await this.subjectOf(account, item.principal, read);
          const position = subject.position ?? 0n;
          if (lowest === null || position < lowest) lowest = position;
          return { answer: this.decide(subject, item) };
        } catch (error) {
          return { error };
        }
      }),
    );
    const revision: bigint = lowest ?? (await this.cache.checkpoint()) ?? 0n;
    return { results, revision: revision.toString() };
  }

  /** Waits for the cache to reach `atLeast`, bounded by the server's timeout and the caller's own bound. */
  private async reach(atLeast: string | undefined, options: CheckOptions): Promise<void> {
    if (atLeast === undefined) return;
    const waitMs = Math.max(0, Math.min(this.config.consistencyTimeoutMs, options.waitMs ?? Infinity));
    const reached = await this.progress.waitFor(BigInt(atLeast), waitMs);
    if (!reached) {
      throw new DomainError(
        'CONSISTENCY.NOT_YET_APPLIED',
        'not_ready',
        `the permission cache has not reached revision ${atLeast} within ${waitMs} ms: retry`,
        { atLeast },
      );
    }
  }

  private decide(subject: CachedSubject, item: BulkCheckItem): CheckAnswer {
    const revision = (subject.position ?? 0n).toString();
    try {
      return { ...evaluate(subject.view, { action: item.action, resource: item.resource }, this.clock.now().getTime()), revision };
    } catch {
      // Fail closed: a defect in evaluation must never turn into an allow.
      return { allowed: false, reason: 'NO_GRANT', message: 'the check could not be evaluated', revision };
    }
  }

  private async subjectOf(
    account: string,
    principal: CheckPrincipal,
    read: (ref: SubjectRef) => Promise<CachedSubject> = (ref) => this.cache.subject(account, ref),
  ): Promise<CachedSubject> {
    if (!('apiKey' in principal)) return read({ principal });
    const parsed = parseCredential(principal.apiKey);
    if (!parsed || parsed.prefix !== 'gh') return this.unknownKey(read);
    const subject = await read({ keyId: parsed.id });
    if (!subject.key || !hashesEqual(subject.key.secretHash, parsed.secretHash)) {
      return { ...subject, key: null, view: { ...subject.view, key: null } };
    }
    return subject;
  }

  private async unknownKey(read: (ref: SubjectRef) => Promise<CachedSubject>): Promise<CachedSubject> {
    const subject = await read({ keyId: '-' });
    return { ...subject, key: null, view: { ...subject.view, principal: null, key: null } };
  }
}
