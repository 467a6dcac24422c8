import { Inject, Injectable } from '@nestjs/common';
import {
  accountStream,
  Actor,
  authorize,
  Clock,
  DomainError,
  errors,
  ExistingAccount,
  isDomainError,
  LoginRecorded,
  loginsStream,
  Operation,
  principalKey,
  subjectDenial,
} from '@gatehouse/domain';
import { EventStore } from '@gatehouse/event-store';
import { PermissionCache } from '@gatehouse/permission-cache';
import { KeyLookup } from '../auth/key-lookup';
import { KeyUsage } from '../auth/key-usage';
import { CommandRunner } from '../commands/command-runner';
import { accountFold } from '../commands/folds';
import { hashesEqual, parseCredential } from '../credentials/credentials';
import { CLOCK, EVENT_STORE, PERMISSION_CACHE } from '../tokens';

type Account = ExistingAccount & { status: 'active' | 'deleted' };

/** Reads about credentials and principals: keys, login history, service accounts, invite links, introspection. */
@Injectable()
export class IdentityQueries {
  constructor(
    private readonly runner: CommandRunner,
    @Inject(PERMISSION_CACHE) private readonly cache: PermissionCache,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly usage: KeyUsage,
    private readonly keyLookup: KeyLookup,
  ) {}

  private async account(account: string): Promise<{ state: Account; revision: bigint }> {
    const { state, lastPosition } = await this.runner.load(accountStream(account), accountFold);
    if (state.status === 'none') throw errors.notFound('ACCOUNT.NOT_FOUND', 'the account does not exist');
    return { state, revision: lastPosition };
  }

  private allowed(state: Account, actor: Actor, operation: Operation, resource?: { id?: string; owner?: string }): boolean {
    try {
      authorize(state, actor, operation, resource, this.runner.now());
      return true;
    } catch (error) {
      if (isDomainError(error) && error.category === 'forbidden') return false;
      throw error;
    }
  }

  /** Keys the actor may see: its own, and others' where it may revoke them. Never a secret or its hash. */
  async apiKeys(account: string, actor: Actor, owner?: string) {
    const { state, revision } = await this.account(account);
    const self = actor.kind === 'principal' ? actor.principal.id : undefined;
    const [keys, lastUsed] = await Promise.all([this.cache.keys(account), this.usage.lastUsed(account)]);
    const items = keys
      .filter((k) => owner === undefined || k.owner.id === owner)
      .filter((k) => k.owner.id === self || this.allowed(state, actor, 'api_keys.delete', { owner: k.owner.id }))
      .map((k) => ({
        id: k.id,
        owner: k.owner,
        status: k.status,
        ...(k.expiresAt !== undefined ? { expiresAt: new Date(k.expiresAt).toISOString() } : {}),
        restricted: k.restriction !== undefined,
        ...(lastUsed[k.id] ? { lastUsedAt: new Date(lastUsed[k.id]).toISOString() } : {}),
      }));
    return { items, revision };
  }

  /** A member's logins, newest first; `cursor` is opaque (the stream revision to continue below). */
  async logins(account: string, userId: string, actor: Actor, limit: number, cursor?: string) {
    const { state } = await this.account(account);
    const self = actor.kind === 'principal' && actor.principal.type === 'user' && actor.principal.id === userId;
    if (!self) authorize(state, actor, 'members.read', { id: userId }, this.runner.now());
    // Like every member route: a user who never belonged here is unknown (removed members keep their history).
    if (!state.members.has(principalKey({ type: 'user', id: userId }))) {
      throw errors.notFound('USER.NOT_FOUND', `user ${userId} is not a member of this account`, { userId });
    }
    const before = cursor === undefined ? undefined : decodeCursor(cursor);
    const stream = loginsStream(account, userId);
    // Reading past the end returns no events but still the stream's last revision.
    const head = await this.store.readStream(stream, { fromRevision: BigInt(Number.MAX_SAFE_INTEGER) }).then((r) => r.revision);
    const top = before === undefined ? head : before - 1n;
    if (top < 0n) return { items: [], nextCursor: null };
    const from = top - BigInt(limit) + 1n > 0n ? top - BigInt(limit) + 1n : 0n;
    const { events } = await this.store.readStream(stream, { fromRevision: from });
    const page = events.filter((e) => e.revision <= top).reverse();
    const items = page.map((e) => {
      const { accountId: _a, userId: _u, ...login } = (e.data as LoginRecorded['data']);
      return login;
    });
    return { items, nextCursor: from > 0n ? encodeCursor(from) : null };
  }

  async serviceAccounts(account: string, actor: Actor) {
    const { state, revision } = await this.account(account);
    authorize(state, actor, 'service_accounts.read', undefined, this.runner.now());
    const items = [...state.members.values()]
      .filter((m) => m.type === 'service_account' && m.status !== 'removed')
      .map((m) => ({ id: m.id, type: m.type, name: m.name, status: m.status, roles: [...m.roles] }));
    return { items, revision };
  }

  async inviteLinks(account: string, actor: Actor) {
    const { state, revision } = await this.account(account);
    authorize(state, actor, 'members.invite', undefined, this.runner.now());
    const items = [...state.links.values()].map(({ secretHash: _hidden, ...link }) => link);
    return { items, revision };
  }

  /** The accounts the calling user belongs to (Fireworks: switch between accounts). */
  async myAccounts(actor: Actor) {
    if (actor.kind !== 'principal' || actor.principal.type !== 'user') {
      throw new DomainError('ME.NOT_A_USER', 'validation', 'only a user\'s API key has accounts to list');
    }
    const memberships = await this.cache.accountsOfUser(actor.principal.id);
    const items = [];
    for (const m of memberships) {
      if (m.status === 'removed') continue;
      const subject = await this.cache.subject(m.account, { principal: actor.principal });
      if (subject.view.account?.status !== 'active') continue;
      items.push({ account: m.account, status: m.status, roles: subject.view.principal?.roles ?? [] });
    }
    return { userId: actor.principal.id, items };
  }

  /** For gateways: what a presented key is, if the caller may know (root, or a caller of the same account). */
  async introspect(apiKey: string, actor: Actor, actorAccount: string | undefined) {
    const parsed = parseCredential(apiKey);
    const account = parsed?.prefix === 'gh' ? await this.keyLookup.accountOf(parsed.id) : null;
    // A key of another account looks exactly like an unknown one.
    if (!parsed || !account || (actor.kind !== 'root' && actorAccount !== account)) return { active: false };
    const subject = await this.keyLookup.subject(account, parsed.id);
    if (!subject.key || !hashesEqual(subject.key.secretHash, parsed.secretHash)) return { active: false };
    const denial = subjectDenial(subject.view, this.clock.now().getTime());
    const principal = subject.view.principal;
    return {
      active: denial === null,
      ...(denial ? { reason: denial.reason } : {}),
      account,
      keyId: subject.key.id,
      principal: subject.key.owner,
      status: principal?.status ?? 'unknown',
      roles: principal?.roles ?? [],
      teams: principal?.teams ?? [],
      restricted: subject.key.restriction !== undefined,
      ...(subject.key.expiresAt !== undefined ? { expiresAt: new Date(subject.key.expiresAt).toISOString() } : {}),
      revision: String(subject.position ?? 0n),
    };
  }
}

const encodeCursor = (revision: bigint) => Buffer.from(`r:${revision}`).toString('base64url');
function decodeCursor(cursor: string): bigint {
  const m = /^r:(\d{1,20})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new DomainError('REQUEST.INVALID_CURSOR', 'validation', 'the cursor is not one this server issued');
  return BigInt(m[1]);
}
