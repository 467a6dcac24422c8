import { AccountRecord, CACHE_UNAVAILABLE, CompiledRole, DomainError, KeyRecord, MemberStatus, PrincipalRecord, PrincipalRef, ResourceRecord, SubjectView } from '@gatehouse/domain';
import { LookupOp, LookupReads } from './lookups/lookups.port';

/**
 * The permission cache: a projection of the event stream shaped for checks.
 * Writes are declarative, idempotent operations applied atomically together with
 * the checkpoint; reads fetch everything one subject needs in one round trip.
 */

/** An API key as the cache knows it: never the secret, only its SHA-256. */
export interface CachedKey extends KeyRecord {
  owner: PrincipalRef;
  secretHash: string;
}

export type CacheOp =
  | { op: 'account.put'; account: string; record: AccountRecord }
  | { op: 'account.patch'; account: string; status: AccountRecord['status'] }
  | { op: 'role.put'; account: string; role: CompiledRole }
  | { op: 'role.delete'; account: string; name: string }
  | { op: 'principal.put'; account: string; principal: PrincipalRecord }
  | {
      op: 'principal.patch';
      account: string;
      /** `user:<id>` or `service_account:<id>`. */
      key: string;
      status?: MemberStatus;
      /** Replaces the role list (applied before add/remove). */
      setRoles?: string[];
      addRoles?: string[];
      removeRoles?: string[];
      addTeams?: string[];
      removeTeams?: string[];
    }
  | { op: 'key.put'; account: string; key: CachedKey }
  /** The user→accounts index (Fireworks: a user switches between the accounts they belong to). */
  | { op: 'membership.put'; account: string; userId: string; status: MemberStatus }
  | { op: 'key.patch'; account: string; keyId: string; status: CachedKey['status'] }
  /** The resource registry (see lookups/lookups.port.ts). */
  | LookupOp;

export type SubjectRef = { principal: PrincipalRef } | { keyId: string };

/** A registered resource, by type and id (see lookups/). */
export interface ResourceRef {
  type: string;
  id: string;
}

export interface SubjectsRead {
  subjects: CachedSubject[];
  /** The registered resources asked for, in order; null where none is registered. */
  resources: (ResourceRecord | null)[];
  /** The checkpoint every part of the read reflects. */
  position: bigint | null;
}

export interface CachedSubject {
  /** Ready for the evaluator. `view.key` is set (possibly null) when the subject was a key. */
  view: SubjectView;
  /** The key's owner and secret hash, to authenticate a presented key. */
  key?: CachedKey | null;
  /** The checkpoint this answer reflects: the revision token a check reports. */
  position: bigint | null;
}

/**
 * The cache cannot answer now (connection lost, timed out, server loading). A check must
 * fail on it, never guess: transports answer 503 / UNAVAILABLE, retryable.
 */
export class PermissionCacheUnavailableError extends DomainError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(CACHE_UNAVAILABLE, 'unavailable', message);
    this.name = 'PermissionCacheUnavailableError';
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

export interface PermissionCache extends LookupReads {
  /**
   * Applies the operations and moves the checkpoint to `position`, in one atomic step.
   * Returns false (and changes nothing) when the checkpoint is already at or past it,
   * which makes replays harmless.
   */
  apply(position: bigint, ops: CacheOp[]): Promise<boolean>;
  checkpoint(): Promise<bigint | null>;
  /** Everything one check needs about one subject. Redis: one round trip. */
  subject(account: string, subject: SubjectRef): Promise<CachedSubject>;
  /**
   * What the checks of one request need from one account, all read at one checkpoint:
   * `subject` for several subjects (a check's and its caller's key, or every distinct
   * subject of a batch), in order, and the registered resources they name. Redis: one
   * round trip whatever the counts.
   */
  subjects(account: string, refs: readonly SubjectRef[], resources?: readonly ResourceRef[]): Promise<SubjectsRead>;
  /**
   * `subjects`, answered synchronously: only a cache in this process's memory has it (the
   * check path then answers without a promise). Must read exactly what `subjects` reads.
   */
  subjectsSync?(account: string, refs: readonly SubjectRef[], resources?: readonly ResourceRef[]): SubjectsRead;
  /** Which account holds a key (for credentials presented without an account in the path). */
  accountOfKey(keyId: string): Promise<string | null>;
  /** Every key of the account, for listings (callers must not show `secretHash`). */
  keys(account: string): Promise<CachedKey[]>;
  /** The accounts a user is (or was) a member of, with the membership's status. */
  accountsOfUser(userId: string): Promise<{ account: string; status: MemberStatus }[]>;
  /**
   * Last-used times of keys (epoch ms), written in batches by the API instances instead
   * of one event per request. Best effort: not part of the event-sourced state.
   */
  recordKeyUse(account: string, uses: Record<string, number>): Promise<void>;
  keyUses(account: string): Promise<Record<string, number>>;
  /** Drops every entry and the checkpoint, for a rebuild from position zero. */
  clear(): Promise<void>;
  /** Rejects when the cache cannot answer (used by /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
