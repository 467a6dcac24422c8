import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import {
  accountStream,
  Actor,
  ApiKeyEvent,
  ApiKeyState,
  apiKeyStream,
  authorize,
  CheckRequest,
  Clock,
  compileRole,
  DomainError,
  errors,
  evaluate,
  evolveApiKey,
  evolveResource,
  initialApiKeyState,
  initialResourceState,
  mergeResource,
  PrincipalRef,
  registeredTarget,
  ResourceEvent,
  ResourceRecord,
  resourceStream,
  subjectViewOf,
  verifyChain,
} from '@gatehouse/domain';
import { EventStore, RecordedEvent } from '@gatehouse/event-store';
import { CommandRunner } from '../commands/command-runner';
import { Config } from '../config/config';
import { accountFold } from '../commands/folds';
import { hashesEqual, parseCredential, sha256Hex } from '../credentials/credentials';
import { CLOCK, CONFIG, EVENT_STORE } from '../tokens';
import { AccountSnapshots } from './account-snapshots';

export interface AuditFilter {
  actor?: string;
  target?: string;
  types?: string[];
  from?: Date;
  to?: Date;
  fromRevision?: bigint;
  toRevision?: bigint;
}

export interface AuditEntry {
  position: string;
  occurredAt: string;
  type: string;
  actor: string;
  actorKeyId?: string;
  stream: string;
  targets: string[];
  correlationId: string;
  causationId: string;
  commandId: string;
  data: unknown;
}

const PAGE = 2000;

/**
 * The audit log is the event stream (DESIGN §6): queried by account, actor, target,
 * type and time or revision range; exported as a stream; verified by its hash chains;
 * and replayed to answer any check as of a past revision or time.
 */
@Injectable()
export class AuditService implements OnApplicationBootstrap, OnModuleDestroy {
  /** Account snapshots every 2,000 events: an as-of answer folds at most that many (see AccountSnapshots). */
  readonly snapshots: AccountSnapshots;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly runner: CommandRunner,
    @Optional() @Inject(CONFIG) private readonly config?: Config,
  ) {
    this.snapshots = new AccountSnapshots(store);
  }

  /** A process that serves the API keeps snapshots current in the background, so no as-of request pays for an account's age. */
  onApplicationBootstrap(): void {
    if (this.config?.roles.api) this.snapshots.follow();
  }

  // Before the store closes (it closes in onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    await this.snapshots.stop();
  }

  /** Authorizes the audit.read operation (root always). */
  async authorize(account: string, actor: Actor): Promise<void> {
    const { state } = await this.runner.load(accountStream(account), accountFold);
    if (state.status === 'none') throw errors.notFound('ACCOUNT.NOT_FOUND', 'the account does not exist');
    authorize(state, actor, 'audit.read', undefined, this.clock.now());
  }

  /** The account's events matching the filter, oldest first, in constant memory. */
  async *events(account: string, filter: AuditFilter = {}): AsyncGenerator<RecordedEvent> {
    let after: bigint | null = filter.fromRevision !== undefined && filter.fromRevision > 0n ? filter.fromRevision - 1n : null;
    for (;;) {
      const page = await this.store.readAll({ after, maxCount: PAGE });
      if (page.length === 0) return;
      for (const e of page) {
        if (filter.toRevision !== undefined && e.position > filter.toRevision) return;
        if (e.metadata.account === account && matches(e, filter)) yield e;
      }
      after = page[page.length - 1].position;
    }
  }

  /** One page of entries; `cursor` is the position to continue after (asc) or before (desc). */
  async page(account: string, filter: AuditFilter, order: 'asc' | 'desc', limit: number, cursor?: bigint) {
    const items: AuditEntry[] = [];
    if (order === 'asc') {
      const from = cursor !== undefined ? cursor + 1n : filter.fromRevision;
      for await (const e of this.events(account, { ...filter, fromRevision: from })) {
        items.push(toEntry(e));
        if (items.length > limit) break;
      }
    } else {
      // Newest first over a forward-only store: keep the last `limit + 1` matches below the cursor.
      const to = cursor !== undefined ? cursor - 1n : filter.toRevision;
      for await (const e of this.events(account, { ...filter, toRevision: to })) {
        items.push(toEntry(e));
        if (items.length > limit + 1) items.shift();
      }
      items.reverse();
    }
    const more = items.length > limit;
    const pageItems = items.slice(0, limit);
    return { items: pageItems, nextCursor: more ? pageItems[pageItems.length - 1].position : null };
  }

  /** Walks every hash chain of the account; reports the first break. */
  async verify(account: string) {
    let count = 0;
    const streams = new Set<string>();
    async function* all(self: AuditService) {
      for await (const e of self.events(account)) {
        count++;
        streams.add(e.streamId);
        yield e;
      }
    }
    const events: RecordedEvent[] = [];
    let broken = null;
    // verifyChain is synchronous over an iterable: feed it in pages to keep memory flat.
    const heads = new Map<string, { revision: bigint; hash: string }>();
    for await (const e of all(this)) {
      events.push(e);
      if (events.length >= PAGE) {
        broken = verifyChain(sha256Hex, events.splice(0), heads);
        if (broken) break;
      }
    }
    broken ??= verifyChain(sha256Hex, events, heads);
    return {
      account,
      valid: broken === null,
      events: count,
      streams: streams.size,
      ...(broken ? { firstBreak: { ...broken, revision: String(broken.revision), position: broken.position?.toString() } } : {}),
    };
  }

  /** The account's state (and optionally one key's) folded up to a past revision or time. */
  async stateAt(account: string, at: { position?: bigint; time?: Date }, keyId?: string) {
    const limit = await this.positionAt(at);
    const accountState = await this.snapshots.stateAt(accountStream(account), limit);
    let keyState: ApiKeyState | undefined;
    if (keyId) {
      keyState = initialApiKeyState();
      for (const e of (await this.store.readStream(apiKeyStream(keyId))).events) {
        if (e.position > limit) break;
        keyState = evolveApiKey(keyState, { type: e.type, data: e.data } as ApiKeyEvent);
      }
    }
    return { accountState, keyState, position: limit };
  }

  /** "What could this key do last Tuesday at 10:00?": a check answered from history. */
  async checkAsOf(account: string, principal: PrincipalRef | { apiKey: string }, request: CheckRequest, at: { position?: bigint; time?: Date }) {
    const parsed = 'apiKey' in principal ? parseCredential(principal.apiKey) : null;
    const { accountState, keyState, position } = await this.stateAt(account, at, parsed?.id);
    const when = at.time ?? (await this.timeOf(position)) ?? this.clock.now();
    let owner: PrincipalRef | undefined = 'apiKey' in principal ? undefined : principal;
    let key = undefined;
    if ('apiKey' in principal) {
      if (!parsed || !keyState || keyState.status === 'none' || keyState.accountId !== account || !hashesEqual(keyState.secretHash, parsed.secretHash)) key = null;
      else {
        owner = keyState.owner;
        key = {
          id: keyState.keyId,
          status: keyState.status,
          ...(keyState.expiresAt ? { expiresAt: Date.parse(keyState.expiresAt) } : {}),
          ...(keyState.restriction ? { restriction: compileRole({ name: 'r', grants: keyState.restriction, scopes: {} }).grants } : {}),
          ...(keyState.ownerGeneration !== undefined ? { ownerGeneration: keyState.ownerGeneration } : {}),
        };
      }
    }
    // An unknown key still sees the account as it was, so the answer says "unknown key", not "unknown account".
    const view = subjectViewOf(accountState, owner ?? { type: 'user', id: '' });
    // A resource named by id is seen with the attributes it had registered then, as the live check sees today's.
    const target = registeredTarget(request.action, request.resource);
    const registered = target === null ? null : await this.resourceAt(account, target, position);
    const asked = registered === null ? request : { ...request, resource: mergeResource(registered, request.resource!) };
    const decision = evaluate({ ...view, ...(key !== undefined ? { key } : {}) }, asked, when.getTime());
    return { ...decision, revision: position.toString(), asOf: when.toISOString() };
  }

  /** A registered resource's record as of `limit`: null when it was not registered then (never, not yet, or deleted). */
  private async resourceAt(account: string, target: { type: string; id: string }, limit: bigint): Promise<ResourceRecord | null> {
    let state = initialResourceState();
    for (const e of (await this.store.readStream(resourceStream(account, target.type, target.id))).events) {
      if (e.position > limit) break;
      state = evolveResource(state, { type: e.type, data: e.data } as ResourceEvent);
    }
    return state.status === 'registered' ? state.record : null;
  }

  /** A principal's effective roles, grants, teams and status as of a revision or time. */
  async effectiveAsOf(account: string, principal: PrincipalRef, at: { position?: bigint; time?: Date }) {
    const { accountState, position } = await this.stateAt(account, at);
    if (accountState.status === 'none') throw errors.notFound('ACCOUNT.NOT_FOUND', 'the account did not exist then');
    const member = accountState.members.get(`${principal.type}:${principal.id}`);
    if (!member) throw errors.notFound('PRINCIPAL.NOT_FOUND', `${principal.type} ${principal.id} was not a member then`);
    const roles = member.roles.map((r) => accountState.roles.get(r)).filter((r) => r !== undefined);
    return {
      principal,
      account: { id: account, status: accountState.status },
      status: member.status,
      teams: [...member.teams],
      roles: roles.map((r) => ({ name: r.name, grants: r.grants, scopes: r.scopes })),
      revision: position.toString(),
    };
  }

  /** The last position at or before the given revision/time (the head when neither is given). */
  private async positionAt(at: { position?: bigint; time?: Date }): Promise<bigint> {
    const head = (await this.store.headPosition()) ?? 0n;
    if (at.position !== undefined) return at.position < head ? at.position : head;
    if (!at.time) return head;
    const t = at.time.getTime();
    let last = 0n;
    let after: bigint | null = null;
    for (;;) {
      const page = await this.store.readAll({ after, maxCount: PAGE });
      if (page.length === 0) return last;
      for (const e of page) {
        if (Date.parse(e.metadata.occurredAt) > t) return last;
        last = e.position;
      }
      after = page[page.length - 1].position;
    }
  }

  private async timeOf(position: bigint): Promise<Date | null> {
    if (position === 0n) return null;
    const [e] = await this.store.readAll({ after: position - 1n, maxCount: 1 });
    return e ? new Date(e.metadata.occurredAt) : null;
  }
}

function matches(e: RecordedEvent, f: AuditFilter): boolean {
  if (f.actor !== undefined && e.metadata.actor !== f.actor && e.metadata.actorKeyId !== f.actor) return false;
  if (f.types && !f.types.includes(e.type)) return false;
  if (f.from || f.to) {
    const t = Date.parse(e.metadata.occurredAt);
    if (f.from && t < f.from.getTime()) return false;
    if (f.to && t > f.to.getTime()) return false;
  }
  if (f.target !== undefined && !targetsOf(e).includes(f.target)) return false;
  return true;
}

/** Who or what an event is about: users, principals, keys, roles, teams, links, service accounts. */
export function targetsOf(e: RecordedEvent): string[] {
  const d = e.data as Record<string, unknown>;
  const out = new Set<string>();
  // A key's `name` is a label, not something the event acts on.
  const fields = e.type.startsWith('ApiKey') ? ['keyId'] : ['userId', 'keyId', 'serviceAccountId', 'linkId', 'team', 'name', 'role'];
  for (const field of fields) {
    if (typeof d[field] === 'string' && d[field] !== '') out.add(d[field] as string);
  }
  const principal = (d.principal ?? d.owner) as { id?: string } | undefined;
  if (principal?.id) out.add(principal.id);
  const role = d.role as { name?: string } | undefined;
  if (role && typeof role === 'object' && role.name) out.add(role.name);
  return [...out];
}

/** The event as auditors see it: who did what to whom, when, through which key; never a secret hash. */
export function toEntry(e: RecordedEvent): AuditEntry {
  return {
    position: e.position.toString(),
    occurredAt: e.metadata.occurredAt,
    type: e.type,
    actor: e.metadata.actor,
    ...(e.metadata.actorKeyId ? { actorKeyId: e.metadata.actorKeyId } : {}),
    stream: e.streamId,
    targets: targetsOf(e),
    correlationId: e.metadata.correlationId,
    causationId: e.metadata.causationId,
    commandId: e.metadata.commandId,
    data: withoutSecretHashes(e.data),
  };
}

function withoutSecretHashes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecretHashes);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([k]) => k !== 'secretHash')
      .map(([k, v]) => [k, withoutSecretHashes(v)]),
  );
}

export const CSV_COLUMNS = ['position', 'occurredAt', 'type', 'actor', 'actorKeyId', 'stream', 'targets', 'correlationId', 'causationId', 'commandId', 'data'] as const;

export function csvRow(entry: AuditEntry): string {
  const cell = (v: unknown) => {
    const s = v === undefined ? '' : typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] !== 'object' ? v.join(' ') : JSON.stringify(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return CSV_COLUMNS.map((c) => cell(entry[c])).join(',') + '\n';
}

export function parseAsOf(value: string): { position?: bigint; time?: Date } {
  if (/^\d{1,20}$/.test(value)) return { position: BigInt(value) };
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new DomainError('AUDIT.INVALID_AS_OF', 'validation', 'asOf must be a revision (digits) or an ISO-8601 time');
  return { time: new Date(t) };
}
