import { AccountRecord, CompiledRole, PrincipalRecord, ResourceRecord } from '@gatehouse/domain';

/**
 * The cache's side of the resource registry and of the lookup APIs (issue 5):
 * registered resources by id, and sorted indexes that let a page of "which resources
 * may X act on" or "who may act on this resource" cost the same whatever the account's
 * size. Ids are compared as bytes (ASCII by the registry's id pattern), so the
 * in-process and Redis adapters page in the same order.
 */

export type LookupOp =
  | { op: 'resource.put'; account: string; resource: ResourceRecord }
  | { op: 'resource.delete'; account: string; type: string; id: string };

/** A set of candidate resources of one type: all of them, one owner's, or one team's. */
export type CandidateSet = { kind: 'all' } | { kind: 'owner'; owner: string } | { kind: 'team'; team: string };

export interface ResourcePage {
  /** Up to `limit` registered resources of the union of the sets with id > after, ascending, each once. */
  resources: ResourceRecord[];
  /** The cache's checkpoint when read. */
  position: bigint | null;
}

export interface PrincipalPage {
  account: AccountRecord | null;
  /** Up to `limit` principals (users and service accounts) with key > after, by key (`<type>:<id>`). */
  principals: PrincipalRecord[];
  /** The definitions of every role those principals hold. */
  roles: Record<string, CompiledRole | undefined>;
  position: bigint | null;
}

export interface LookupReads {
  resource(account: string, type: string, id: string): Promise<ResourceRecord | null>;
  resourceCandidates(account: string, type: string, sets: CandidateSet[], after: string | null, limit: number): Promise<ResourcePage>;
  principalCandidates(account: string, after: string | null, limit: number): Promise<PrincipalPage>;
}

export const isLookupOp = (op: { op: string }): op is LookupOp => op.op === 'resource.put' || op.op === 'resource.delete';
