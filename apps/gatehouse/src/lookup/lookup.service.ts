import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  attributesOf,
  Clock,
  CompiledRole,
  Condition,
  DomainError,
  evaluate,
  mergeResource,
  PrincipalRef,
  ResourceAttributes,
  ResourceRecord,
  SubjectView,
  subjectDenial,
} from '@gatehouse/domain';
import { CandidateSet, PermissionCache } from '@gatehouse/permission-cache';
import { Config } from '../config/config';
import { ProjectionProgress } from '../projector/projection-progress';
import { CLOCK, CONFIG, PERMISSION_CACHE } from '../tokens';

export interface LookupResourcesInput {
  principal: PrincipalRef;
  action: string;
  limit?: number;
  cursor?: string;
  consistency?: { atLeast?: string };
}

export interface LookupSubjectsInput {
  resource: { type?: string; id: string; owner?: string; team?: string; tags?: Record<string, string[]> };
  action: string;
  limit?: number;
  cursor?: string;
  consistency?: { atLeast?: string };
}

export interface LookupOptions {
  /** The caller's own bound on waiting for `consistency.atLeast` (a gRPC deadline). */
  waitMs?: number;
}

export interface ResourcesPage {
  resources: ResourceRecord[];
  nextCursor: string | null;
  revision: string;
}

export interface SubjectsPage {
  subjects: { type: PrincipalRef['type']; id: string; matched?: { role: string; grant: string; condition: Condition } }[];
  nextCursor: string | null;
  revision: string;
}

export const DEFAULT_LOOKUP_PAGE = 100;
/**
 * At most this many candidates are examined for one page (or 10× the page size, if
 * larger). A page's cost is therefore bounded whatever the account holds; when the
 * candidates are sparse in allowed items (access scopes, key restrictions) a page may
 * come back short, with a cursor to go on from. Clients loop until `nextCursor` is null.
 */
const MIN_SCAN_BUDGET = 1000;

/**
 * LookupResources and LookupSubjects (issue 5). Both page by keyset (the last id seen,
 * in byte order) rather than by offset, so a page never repeats an item and never skips
 * one that existed throughout, whatever is written between pages. Every candidate is
 * run through the same evaluator as a check: a lookup answers exactly what checks would.
 */
@Injectable()
export class LookupService {
  constructor(
    @Inject(PERMISSION_CACHE) private readonly cache: PermissionCache,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    private readonly progress: ProjectionProgress,
  ) {}

  async lookupResources(account: string, input: LookupResourcesInput, options: LookupOptions = {}): Promise<ResourcesPage> {
    const { type, verb } = parseAction(input.action);
    const limit = input.limit ?? DEFAULT_LOOKUP_PAGE;
    const fingerprint = fingerprintOf(['resources', account, input.principal.type, input.principal.id, input.action]);
    let after = input.cursor !== undefined ? decodeCursor(input.cursor, fingerprint) : null;
    await this.reach(input.consistency?.atLeast, options);

    const subject = await this.cache.subject(account, { principal: input.principal });
    let revision = subject.position ?? 0n;
    const view = subject.view;
    const now = this.clock.now().getTime();
    if (subjectDenial(view, now)) return { resources: [], nextCursor: null, revision: revision.toString() };
    const sets = candidateSets(view, input.action, type, verb);
    if (sets.length === 0) return { resources: [], nextCursor: null, revision: revision.toString() };

    const budget = Math.max(MIN_SCAN_BUDGET, 10 * limit);
    const found: ResourceRecord[] = [];
    let scanned = 0;
    let batch = limit;
    for (;;) {
      const page = await this.cache.resourceCandidates(account, type, sets, after, batch);
      if (page.position !== null && page.position < revision) revision = page.position;
      for (const r of page.resources) {
        scanned++;
        after = r.id;
        if (evaluate(view, { action: input.action, resource: attributesOf(r) }, now).allowed) {
          found.push(r);
          if (found.length === limit) return { resources: found, nextCursor: encodeCursor(after, fingerprint), revision: revision.toString() };
        }
      }
      if (page.resources.length < batch) return { resources: found, nextCursor: null, revision: revision.toString() };
      if (scanned >= budget) return { resources: found, nextCursor: encodeCursor(after!, fingerprint), revision: revision.toString() };
      batch = Math.min(4 * limit, budget - scanned, 1000);
    }
  }

  async lookupSubjects(account: string, input: LookupSubjectsInput, options: LookupOptions = {}): Promise<SubjectsPage> {
    const { type } = parseAction(input.action);
    if (input.resource.type !== undefined && input.resource.type !== type) {
      throw new DomainError('LOOKUP.RESOURCE_TYPE_MISMATCH', 'validation', `action ${input.action} does not apply to a ${input.resource.type}`);
    }
    const limit = input.limit ?? DEFAULT_LOOKUP_PAGE;
    const fingerprint = fingerprintOf(['subjects', account, type, input.resource.id, input.action, JSON.stringify(input.resource)]);
    let after = input.cursor !== undefined ? decodeCursor(input.cursor, fingerprint) : null;
    await this.reach(input.consistency?.atLeast, options);

    const registered = await this.cache.resource(account, type, input.resource.id);
    const resource: ResourceAttributes = mergeResource(registered, { ...input.resource, type });
    const now = this.clock.now().getTime();
    const budget = Math.max(MIN_SCAN_BUDGET, 10 * limit);
    const found: SubjectsPage['subjects'] = [];
    let revision: bigint | null = null;
    let scanned = 0;
    let batch = limit;
    for (;;) {
      const page = await this.cache.principalCandidates(account, after, batch);
      if (revision === null || (page.position ?? 0n) < revision) revision = page.position ?? 0n;
      const roles: Record<string, CompiledRole | undefined> = page.roles;
      for (const principal of page.principals) {
        scanned++;
        after = `${principal.type}:${principal.id}`;
        const view: SubjectView = { account: page.account, principal, roles };
        const d = evaluate(view, { action: input.action, resource }, now);
        if (d.allowed) {
          found.push({ type: principal.type, id: principal.id, ...(d.matched ? { matched: d.matched } : {}) });
          if (found.length === limit) return { subjects: found, nextCursor: encodeCursor(after, fingerprint), revision: revision.toString() };
        }
      }
      if (page.principals.length < batch) return { subjects: found, nextCursor: null, revision: revision.toString() };
      if (scanned >= budget) return { subjects: found, nextCursor: encodeCursor(after!, fingerprint), revision: revision.toString() };
      batch = Math.min(4 * limit, budget - scanned, 1000);
    }
  }

  private reach(atLeast: string | undefined, options: LookupOptions): Promise<void> {
    return this.progress.reach(atLeast, Math.min(this.config.consistencyTimeoutMs, options.waitMs ?? Infinity));
  }
}

function parseAction(action: string): { type: string; verb: string } {
  const sep = action.indexOf(':');
  if (sep <= 0 || sep === action.length - 1) throw new DomainError('LOOKUP.INVALID_ACTION', 'validation', `"${action}" is not a resource:action permission`);
  return { type: action.slice(0, sep), verb: action.slice(sep + 1) };
}

/**
 * Where the allowed resources can be: every resource of the type when some held grant
 * matching the action is `any`; otherwise the principal's own and its teams' resources.
 * Conditions only narrow, so the union of these sets holds every resource a check would
 * allow; the evaluator then decides each one (scopes, key restrictions).
 */
export function candidateSets(view: SubjectView, action: string, type: string, verb: string): CandidateSet[] {
  const principal = view.principal!;
  const patterns = [action, `${type}:*`, `*:${verb}`, '*'];
  let own = false;
  let team = false;
  for (const name of principal.roles) {
    const role = view.roles[name];
    if (!role) continue;
    for (const pattern of patterns) {
      for (const condition of role.grants[pattern] ?? []) {
        if (condition === 'any') return [{ kind: 'all' }];
        if (condition === 'own') own = true;
        else team = true;
      }
    }
  }
  const sets: CandidateSet[] = [];
  if (own) sets.push({ kind: 'owner', owner: principal.id });
  if (team) for (const t of principal.teams) sets.push({ kind: 'team', team: t });
  return sets;
}

const fingerprintOf = (parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 16);

/** Opaque to clients: the last id seen, and a fingerprint of the query it belongs to. */
function encodeCursor(after: string, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ v: 1, a: after, f: fingerprint })).toString('base64url');
}

function decodeCursor(cursor: string, fingerprint: string): string {
  let parsed: { v?: unknown; a?: unknown; f?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    parsed = {};
  }
  if (parsed?.v !== 1 || typeof parsed.a !== 'string' || parsed.a.length === 0) {
    throw new DomainError('LOOKUP.INVALID_CURSOR', 'validation', 'the cursor is not one this server issued');
  }
  if (parsed.f !== fingerprint) {
    throw new DomainError('LOOKUP.CURSOR_MISMATCH', 'validation', 'the cursor belongs to a different lookup (principal, action or resource changed)');
  }
  return parsed.a;
}
