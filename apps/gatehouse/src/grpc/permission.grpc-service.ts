import { Injectable } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { ID_PATTERN } from '@gatehouse/contracts';
import { Actor, DomainError, isDomainError, ResourceAttributes } from '@gatehouse/domain';
import { Authenticator } from '../auth/authenticator';
import { assertBulkSize, BulkCheckItem, CheckAnswer, CheckInput, CheckOptions, CheckService } from '../check/check.service';
// The HTTP schemas are the one definition of a valid check; gRPC requests are put in their JSON shape and held to them.
import { validateBody } from '../http/validation';
import { IdentityQueries } from '../queries/identity.queries';
import { AuditService, parseAsOf } from '../audit/audit.service';
import { LookupResourcesInput, LookupService, LookupSubjectsInput } from '../lookup/lookup.service';
import { grpcCodeOf, toGrpcStatus } from './grpc-status';

/** gatehouse.v1 messages as @grpc/proto-loader hands them over (camelCase, `oneofs: true`, defaults filled in). */
interface PrincipalMessage {
  kind?: 'userId' | 'serviceAccountId' | 'apiKey';
  userId?: string;
  serviceAccountId?: string;
  apiKey?: string;
}
interface ResourceMessage {
  type: string;
  id: string;
  owner: string;
  team: string;
  tags: Record<string, { values: string[] }>;
}
interface ConsistencyMessage {
  requirement?: 'atLeast' | 'asOf';
  atLeast?: string;
  asOf?: string;
}
export interface CheckRequestMessage {
  account: string;
  principal: PrincipalMessage | null;
  action: string;
  resource: ResourceMessage | null;
  consistency: ConsistencyMessage | null;
}
export interface CheckBulkRequestMessage {
  account: string;
  checks: Omit<CheckRequestMessage, 'account' | 'consistency'>[];
  consistency: ConsistencyMessage | null;
}
export interface LookupResourcesRequestMessage {
  account: string;
  principal: PrincipalMessage | null;
  action: string;
  pageSize: number;
  cursor: string;
  consistency: ConsistencyMessage | null;
}
export interface LookupSubjectsRequestMessage {
  account: string;
  resource: ResourceMessage | null;
  action: string;
  pageSize: number;
  cursor: string;
  consistency: ConsistencyMessage | null;
}
export interface IntrospectApiKeyRequestMessage {
  account: string;
  apiKey: string;
}

/** What a handler knows about its call besides the request. */
export interface CallContext {
  metadata: Metadata;
  /** Epoch ms; Infinity without a deadline. */
  deadline: number;
}

/**
 * The PermissionService of gatehouse.v1: a thin translation between proto messages and
 * the same services the HTTP controllers call. Errors are thrown as they come (a
 * DomainError with its category); the server maps them once (grpc-status.ts).
 */
@Injectable()
export class PermissionGrpcService {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly checks: CheckService,
    private readonly identity: IdentityQueries,
    private readonly lookups: LookupService,
    private readonly audit: AuditService,
  ) {}

  async lookupResources(request: LookupResourcesRequestMessage, call: CallContext) {
    const account = accountOf(request.account);
    noAsOf(request.consistency);
    await this.authenticate(call, account);
    const input = validateBody<LookupResourcesInput>('LookupResourcesRequest', {
      ...pageJson(request),
      ...(principalJson(request.principal) ? { principal: principalJson(request.principal) } : {}),
    });
    const page = await this.lookups.lookupResources(account, input, { waitMs: call.deadline - Date.now() });
    return {
      resources: page.resources.map((r) => ({
        type: r.type,
        id: r.id,
        owner: r.owner ?? '',
        team: r.team ?? '',
        tags: Object.fromEntries(Object.entries(r.tags).map(([d, values]) => [d, { values }])),
      })),
      nextCursor: page.nextCursor ?? '',
      revision: page.revision,
    };
  }

  async lookupSubjects(request: LookupSubjectsRequestMessage, call: CallContext) {
    const account = accountOf(request.account);
    noAsOf(request.consistency);
    await this.authenticate(call, account);
    const input = validateBody<LookupSubjectsInput>('LookupSubjectsRequest', {
      ...pageJson(request),
      ...(request.resource ? { resource: resourceJson(request.resource) } : {}),
    });
    const page = await this.lookups.lookupSubjects(account, input, { waitMs: call.deadline - Date.now() });
    return {
      subjects: page.subjects.map((s) => ({
        principal: s.type === 'user' ? { userId: s.id } : { serviceAccountId: s.id },
        matched: s.matched ?? null,
      })),
      nextCursor: page.nextCursor ?? '',
      revision: page.revision,
    };
  }

  async check(request: CheckRequestMessage, call: CallContext) {
    const account = accountOf(request.account);
    if (request.consistency?.requirement === 'asOf') return this.checkAsOf(account, request, call);
    const caller = this.caller(call);
    const input = await this.validated(call, account, caller, () =>
      validateBody<CheckInput>('CheckRequest', {
        ...checkItemJson(request),
        ...(request.consistency?.requirement === 'atLeast' ? { consistency: { atLeast: request.consistency.atLeast } } : {}),
      }),
    );
    return answerMessage(await this.checks.check(account, input, { ...caller, waitMs: call.deadline - Date.now() }));
  }

  /** Check with consistency.as_of: answered from history, as POST …/audit/check (audit.read needed). */
  private async checkAsOf(account: string, request: CheckRequestMessage, call: CallContext) {
    const { home: _home, ...actor } = await this.authenticator.authenticate(authorizationOf(call.metadata), account);
    await this.audit.authorize(account, actor as Actor);
    const input = validateBody<{ principal: CheckInput['principal']; action: string; resource?: ResourceAttributes; asOf: string }>('AsOfCheckRequest', {
      ...checkItemJson(request),
      asOf: request.consistency?.asOf ?? '',
    });
    const answer = await this.audit.checkAsOf(account, input.principal, { action: input.action, resource: input.resource }, parseAsOf(input.asOf));
    return answerMessage(answer);
  }

  async checkBulk(request: CheckBulkRequestMessage, call: CallContext) {
    const account = accountOf(request.account);
    noAsOf(request.consistency);
    const caller = this.caller(call);
    const consistency = await this.validated(call, account, caller, () => {
      assertBulkSize(request.checks.length);
      const atLeast = request.consistency?.requirement === 'atLeast' ? { atLeast: request.consistency.atLeast } : undefined;
      if (atLeast) validateBody('CheckBulkRequest', { checks: [], consistency: atLeast });
      return atLeast;
    });
    const items = request.checks.map((item): BulkCheckItem | DomainError => {
      try {
        return validateBody<BulkCheckItem>('CheckBulkItem', checkItemJson(item));
      } catch (error) {
        if (isDomainError(error)) return error;
        throw error;
      }
    });
    const { results, revision } = await this.checks.checkBulk(account, items, consistency, { ...caller, waitMs: call.deadline - Date.now() });
    return {
      results: results.map((r) => {
        if ('answer' in r) return { answer: answerMessage(r.answer) };
        if (isDomainError(r.error)) return { error: { status: grpcCodeOf(r.error), code: r.error.code, message: r.error.message } };
        const status = toGrpcStatus(r.error, { method: 'CheckBulk item' }); // logs the defect
        return { error: { status: status.code, code: 'INTERNAL', message: status.details } };
      }),
      revision,
    };
  }

  async introspectApiKey(request: IntrospectApiKeyRequestMessage, call: CallContext) {
    // Empty account: the caller's key is authenticated in its own account, as POST /v1/introspect.
    const account = request.account === '' ? null : accountOf(request.account);
    const { home, ...actor } = await this.authenticator.authenticate(authorizationOf(call.metadata), account);
    const { apiKey } = validateBody<{ apiKey: string }>('IntrospectRequest', { apiKey: request.apiKey || undefined });
    const result = await this.identity.introspect(apiKey, actor as Actor, home ?? account ?? undefined);
    if (!('account' in result)) return { active: false };
    const owner = result.principal;
    return {
      active: result.active,
      reason: result.reason ?? '',
      account: result.account,
      keyId: result.keyId,
      principal: owner.type === 'user' ? { userId: owner.id } : { serviceAccountId: owner.id },
      status: result.status,
      roles: result.roles,
      teams: result.teams,
      restricted: result.restricted,
      expiresAt: result.expiresAt ? timestamp(Date.parse(result.expiresAt)) : null,
      revision: result.revision,
    };
  }

  /** Any authenticated caller of the account may look up (as over HTTP): who it is does not change the answer. */
  private async authenticate(call: CallContext, account: string): Promise<void> {
    await this.authenticator.authenticate(authorizationOf(call.metadata), account);
  }

  /**
   * The caller of a check, without I/O: the root key is verified here, an API key only
   * parsed and handed to CheckService, which reads it with the check's subjects (one
   * cache round trip for both) and verifies it before anything is evaluated or waited for.
   */
  private caller(call: CallContext): CheckOptions {
    const credential = this.authenticator.credential(authorizationOf(call.metadata));
    return credential.kind === 'key' ? { caller: credential } : {};
  }

  /**
   * `validate()`'s result. When it throws for a key caller, the key is verified first, so
   * that a bad key hears UNAUTHENTICATED whatever it sent, as when every call was
   * authenticated before its request was looked at (an error path: the extra read is rare).
   */
  private async validated<T>(call: CallContext, account: string, caller: CheckOptions, validate: () => T): Promise<T> {
    try {
      return validate();
    } catch (error) {
      if (caller.caller) await this.authenticate(call, account);
      throw error;
    }
  }
}

function noAsOf(consistency: ConsistencyMessage | null): void {
  if (consistency?.requirement === 'asOf') {
    throw new DomainError('CONSISTENCY.AS_OF_UNSUPPORTED', 'validation', 'consistency.as_of is served by Check only (or POST /v1/accounts/{account}/audit/check)');
  }
}

function authorizationOf(metadata: Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  return typeof value === 'string' ? value : undefined;
}

function accountOf(account: string): string {
  if (!new RegExp(ID_PATTERN).test(account)) {
    throw new DomainError(
      'REQUEST.INVALID_BODY',
      'validation',
      account === '' ? 'account is required' : 'account must be lower-case letters, digits and dashes',
      { errors: [{ pointer: '#/account', message: `must match pattern "${ID_PATTERN}"` }] },
    );
  }
  return account;
}

/** A check message in the HTTP JSON shape; empty strings are "not given", as absent JSON fields. */
function checkItemJson(item: { principal: PrincipalMessage | null; action: string; resource: ResourceMessage | null }): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  const principal = principalJson(item.principal);
  if (principal) json.principal = principal;
  if (item.action !== '') json.action = item.action;
  if (item.resource) json.resource = resourceJson(item.resource);
  return json;
}

function principalJson(p: PrincipalMessage | null): CheckInput['principal'] | undefined {
  switch (p?.kind) {
    case 'userId':
      return { type: 'user', id: p.userId ?? '' };
    case 'serviceAccountId':
      return { type: 'service_account', id: p.serviceAccountId ?? '' };
    case 'apiKey':
      return { apiKey: p.apiKey ?? '' };
    default:
      return undefined;
  }
}

function resourceJson(r: ResourceMessage): ResourceAttributes {
  const resource: ResourceAttributes = {};
  if (r.type !== '') resource.type = r.type;
  if (r.id !== '') resource.id = r.id;
  if (r.owner !== '') resource.owner = r.owner;
  if (r.team !== '') resource.team = r.team;
  const tags = Object.entries(r.tags ?? {});
  if (tags.length > 0) resource.tags = Object.fromEntries(tags.map(([dimension, v]) => [dimension, v.values ?? []]));
  return resource;
}

/** The paging fields of a lookup message in the HTTP JSON shape (0 and empty strings are "not given"). */
function pageJson(request: { action: string; pageSize: number; cursor: string; consistency: ConsistencyMessage | null }): Record<string, unknown> {
  return {
    ...(request.action !== '' ? { action: request.action } : {}),
    ...(request.pageSize ? { limit: request.pageSize } : {}),
    ...(request.cursor !== '' ? { cursor: request.cursor } : {}),
    ...(request.consistency?.requirement === 'atLeast' ? { consistency: { atLeast: request.consistency.atLeast } } : {}),
  };
}

function answerMessage(a: CheckAnswer) {
  return { allowed: a.allowed, reason: a.reason, message: a.message, matched: a.matched ?? null, revision: a.revision };
}

function timestamp(ms: number) {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}
