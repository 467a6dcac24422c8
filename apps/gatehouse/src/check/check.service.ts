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
    if (input.consistency?.atLeast !== undefined) await this.reach(input.consistency.atLeast, options);
    const named = nameSubject(input.principal);
    const subject = presented(await this.cache.subject(account, named.ref), named);
    return this.decide(subject, input, this.clock.now().getTime());
  }

  /**
   * Up to MAX_BULK_CHECKS checks, each answered on its own: an item that failed the
   * transport's validation (passed in as its DomainError) or whose subject cannot be
   * read gets an error result, the others still get answers. Every distinct subject is
   * read from the cache once (one round trip each at most, all in parallel), however
   * many items name it; then the items are evaluated in one synchronous pass, at one
   * instant. `revision` is the lowest any answer reflects, so every answer is at least
   * that fresh.
   */
  async checkBulk(
    account: string,
    items: ReadonlyArray<BulkCheckItem | DomainError>,
    consistency: CheckInput['consistency'],
    options: CheckOptions = {},
  ): Promise<{ results: BulkCheckResult[]; revision: string }> {
    assertBulkSize(items.length);
    await this.reach(consistency?.atLeast, options);
    // Name each item's subject (a key presented by many items is parsed and hashed once),
    // read each distinct subject once, then resolve each name once: the per-item work
    // left is the evaluator's.
    const names = new Map<string, NamedSubject>();
    const named = items.map((item) => {
      if (item instanceof DomainError) return null;
      const nameKey = 'apiKey' in item.principal ? `a:${item.principal.apiKey}` : `p:${item.principal.type}:${item.principal.id}`;
      let name = names.get(nameKey);
      if (!name) names.set(nameKey, (name = nameSubject(item.principal)));
      return name;
    });
    const reads = new Map<string, Promise<CachedSubject>>();
    for (const name of names.values()) {
      const key = refKey(name.ref);
      if (!reads.has(key)) reads.set(key, this.cache.subject(account, name.ref));
    }
    const read = new Map<string, { subject: CachedSubject } | { error: unknown }>();
    await Promise.all(
      [...reads].map(([key, subject]) =>
        subject.then(
          (s) => void read.set(key, { subject: s }),
          (error: unknown) => void read.set(key, { error }),
        ),
      ),
    );
    let lowest: bigint | null = null;
    const resolved = new Map<NamedSubject, { subject: CachedSubject; revision: string } | { error: unknown }>();
    for (const name of names.values()) {
      const r = read.get(refKey(name.ref))!;
      if ('error' in r) {
        resolved.set(name, r);
        continue;
      }
      const position = r.subject.position ?? 0n;
      if (lowest === null || position < lowest) lowest = position;
      resolved.set(name, { subject: presented(r.subject, name), revision: position.toString() });
    }
    const now = this.clock.now().getTime();
    const results = items.map((item, i): BulkCheckResult => {
      const name = named[i];
      if (item instanceof DomainError || name === null) return { error: item };
      const subject = resolved.get(name)!;
      if ('error' in subject) return { error: subject.error };
      return { answer: this.decide(subject.subject, item, now, subject.revision) };
    });
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

  private decide(subject: CachedSubject, item: BulkCheckItem, nowMs: number, revision = (subject.position ?? 0n).toString()): CheckAnswer {
    try {
      const d = evaluate(subject.view, { action: item.action, resource: item.resource }, nowMs);
      return d.matched ? { allowed: d.allowed, reason: d.reason, message: d.message, matched: d.matched, revision } : { allowed: d.allowed, reason: d.reason, message: d.message, revision };
    } catch {
      // Fail closed: a defect in evaluation must never turn into an allow.
      return { allowed: false, reason: 'NO_GRANT', message: 'the check could not be evaluated', revision };
    }
  }
}

/** What to read from the cache for a principal, and what a presented key must prove once read. */
interface NamedSubject {
  ref: SubjectRef;
  /** For a presented key: its secret's hash, or null when it is not one of our keys at all. */
  presentedKey?: { secretHash: string } | null;
}

function nameSubject(principal: CheckPrincipal): NamedSubject {
  if (!('apiKey' in principal)) return { ref: { principal } };
  const parsed = parseCredential(principal.apiKey);
  // Not one of our keys: still read (for the account and revision), as a key nobody has.
  if (!parsed || parsed.prefix !== 'gh') return { ref: { keyId: '-' }, presentedKey: null };
  return { ref: { keyId: parsed.id }, presentedKey: { secretHash: parsed.secretHash } };
}

/** The subject as the evaluator must see it: a key whose secret does not match is an unknown key. */
function presented(subject: CachedSubject, named: NamedSubject): CachedSubject {
  if (named.presentedKey === undefined) return subject;
  if (named.presentedKey === null) return { ...subject, key: null, view: { ...subject.view, principal: null, key: null } };
  if (!subject.key || !hashesEqual(subject.key.secretHash, named.presentedKey.secretHash)) {
    return { ...subject, key: null, view: { ...subject.view, key: null } };
  }
  return subject;
}
