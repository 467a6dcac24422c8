import { Inject, Injectable } from '@nestjs/common';
import { MAX_BULK_CHECKS } from '@gatehouse/contracts';
import { Clock, Decision, DomainError, evaluate, mergeResource, PrincipalRef, registeredTarget, ResourceAttributes, ResourceRecord } from '@gatehouse/domain';
import { CachedSubject, PermissionCache, ResourceRef, SubjectRef } from '@gatehouse/permission-cache';
import { Authenticator, KeyCredential } from '../auth/authenticator';
import { KeyLookup } from '../auth/key-lookup';
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
  /**
   * The caller's API key, not yet verified: it is read with the check's subjects (one
   * round trip for both) and verified before anything is evaluated or waited for.
   */
  caller?: KeyCredential;
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
 * The hot path: one cache read for the caller's key, every subject and every registered
 * resource named by id only (none beyond memory in embedded mode), then the pure evaluator. It fails closed: a cache that
 * cannot answer or holds no data is a 503, never a guess; a defect in evaluation denies.
 */
@Injectable()
export class CheckService {
  constructor(
    @Inject(PERMISSION_CACHE) private readonly cache: PermissionCache,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    private readonly progress: ProjectionProgress,
    private readonly keys: KeyLookup,
    private readonly authenticator: Authenticator,
  ) {}

  async check(account: string, input: CheckInput, options: CheckOptions = {}): Promise<CheckAnswer> {
    return this.answer(account, input, options);
  }

  /**
   * `check`, answered synchronously when it can be: the cache reads in this process and
   * the read needs nothing more (a known caller key, a position that is there, at least
   * `atLeast`). That is every check of the embedded mode in its steady state, and the HTTP
   * route then sends the answer without a promise or a microtask turn. Otherwise, a
   * promise: `read` does it all. Throws (synchronously) what `check` would reject with.
   */
  answer(account: string, input: CheckInput, options: CheckOptions = {}): CheckAnswer | Promise<CheckAnswer> {
    const named = nameSubject(input.principal);
    const registered = registeredTarget(input.action, input.resource);
    const resources = registered ? [registered] : [];
    const atLeast = input.consistency?.atLeast;
    const now = this.readNow(account, [named.ref], resources, atLeast, options);
    if (now === null) {
      return this.read(account, [named.ref], resources, atLeast, options).then((read) => this.answerFrom(read, input, named, registered !== null));
    }
    return this.answerFrom(now, input, named, registered !== null);
  }

  private answerFrom(read: { subjects: CachedSubject[]; resources: (ResourceRecord | null)[] }, input: CheckInput, named: NamedSubject, registered: boolean): CheckAnswer {
    const item = registered ? withRegistered(input, read.resources[0]) : input;
    return this.decide(presented(read.subjects[0], named), item, this.clock.now().getTime());
  }

  /**
   * `read` done synchronously, or null when it cannot be: the cache has no synchronous
   * read, or the read would need a wait (no position yet, behind `atLeast`, a caller key
   * not found that the projector may not have reached). A caller key that is found but
   * fails verification throws here, as in `read`.
   */
  private readNow(
    account: string,
    refs: SubjectRef[],
    resources: ResourceRef[],
    atLeast: string | undefined,
    options: CheckOptions,
  ): { subjects: CachedSubject[]; resources: (ResourceRecord | null)[]; position: bigint } | null {
    if (this.cache.subjectsSync === undefined) return null;
    const caller = options.caller;
    const read = this.cache.subjectsSync(account, caller ? [{ keyId: caller.keyId }, ...refs] : refs, resources);
    if (read.position === null || (atLeast !== undefined && !reflects(read.position, atLeast))) return null;
    if (caller) {
      if (!read.subjects[0].key) return null;
      this.authenticator.keyActor(account, caller, read.subjects[0]);
    }
    return { subjects: caller ? read.subjects.slice(1) : read.subjects, resources: read.resources, position: read.position };
  }

  /**
   * Up to MAX_BULK_CHECKS checks, each answered on its own: an item that failed the
   * transport's validation (passed in as its DomainError) gets an error result, the
   * others still get answers. Every distinct subject is read once, all of them in one
   * cache read (one round trip) however many items name them; then the items are
   * evaluated in one synchronous pass, at one instant, at the one revision returned.
   */
  async checkBulk(
    account: string,
    items: ReadonlyArray<BulkCheckItem | DomainError>,
    consistency: CheckInput['consistency'],
    options: CheckOptions = {},
  ): Promise<{ results: BulkCheckResult[]; revision: string }> {
    assertBulkSize(items.length);
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
    const slots = new Map<string, number>();
    const refs: SubjectRef[] = [];
    for (const name of names.values()) {
      const key = refKey(name.ref);
      if (!slots.has(key)) slots.set(key, refs.push(name.ref) - 1);
    }
    // The same for resources named by id only: each distinct one read once, in the same read.
    const resourceSlots = new Map<string, number>();
    const resourceRefs: ResourceRef[] = [];
    const resourceOf = items.map((item) => {
      const ref = item instanceof DomainError ? null : registeredTarget(item.action, item.resource);
      if (!ref) return -1;
      const key = `${ref.type}\u0000${ref.id}`;
      let slot = resourceSlots.get(key);
      if (slot === undefined) resourceSlots.set(key, (slot = resourceRefs.push(ref) - 1));
      return slot;
    });
    const { subjects, resources, position } = await this.read(account, refs, resourceRefs, consistency?.atLeast, options);
    const revision = (position ?? (await this.cache.checkpoint()) ?? 0n).toString();
    const resolved = new Map<NamedSubject, CachedSubject>();
    for (const name of names.values()) resolved.set(name, presented(subjects[slots.get(refKey(name.ref))!], name));
    const now = this.clock.now().getTime();
    const results = items.map((item, i): BulkCheckResult => {
      const name = named[i];
      if (item instanceof DomainError || name === null) return { error: item };
      const resource = resourceOf[i];
      return { answer: this.decide(resolved.get(name)!, resource < 0 ? item : withRegistered(item, resources[resource]), now, revision) };
    });
    return { results, revision };
  }

  /**
   * Reads the caller's key (when given), the subjects and the registered resources in one
   * round trip, verifies the caller, and reads again only when the read is older than
   * `atLeast` (so registered attributes, too, are at least that fresh). Whatever fails
   * here fails the request: unavailable or empty cache (503), wrong key (401), revision
   * not reached in time (503).
   */
  private async read(
    account: string,
    refs: SubjectRef[],
    resources: ResourceRef[],
    atLeast: string | undefined,
    options: CheckOptions,
  ): Promise<{ subjects: CachedSubject[]; resources: (ResourceRecord | null)[]; position: bigint | null }> {
    const caller = options.caller;
    const all: SubjectRef[] = caller ? [{ keyId: caller.keyId }, ...refs] : refs;
    if (all.length === 0) {
      await this.reach(atLeast, options);
      return { subjects: [], resources: resources.map(() => null), position: null };
    }
    let read = caller ? await this.keys.subjects(account, all, resources, 0) : await this.cache.subjects(account, all, resources);
    // Before any wait: a caller that cannot authenticate must not hold the server for a revision.
    if (caller) this.authenticator.keyActor(account, caller, read.subjects[0]);
    if (atLeast !== undefined && !reflects(read.position, atLeast)) {
      await this.reach(atLeast, options);
      read = await this.cache.subjects(account, all, resources);
      if (caller) this.authenticator.keyActor(account, caller, read.subjects[0]);
    }
    if (read.position === null) await this.keys.assertReady();
    return { subjects: caller ? read.subjects.slice(1) : read.subjects, resources: read.resources, position: read.position };
  }

  /** Waits for the cache to reach `atLeast`, bounded by the server's timeout and the caller's own bound. */
  private reach(atLeast: string | undefined, options: CheckOptions): Promise<void> {
    return this.progress.reach(atLeast, Math.min(this.config.consistencyTimeoutMs, options.waitMs ?? Infinity));
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

const reflects = (position: bigint | null, atLeast: string): boolean => position !== null && position >= BigInt(atLeast);

/** The check with its resource's registered attributes filled in; what the request gives inline wins. */
const withRegistered = <T extends BulkCheckItem>(item: T, record: ResourceRecord | null): T => ({ ...item, resource: mergeResource(record, item.resource!) });

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
