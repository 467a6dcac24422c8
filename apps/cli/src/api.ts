/**
 * The parts of the server's answers the CLI reads to print tables. `--json` prints the
 * answers whole, so fields added by the server reach scripts without a CLI change.
 */

export interface Written {
  revision: string;
}

export interface Member {
  id: string;
  type?: 'user' | 'service_account';
  email?: string;
  name?: string;
  status: string;
  roles: string[];
  teams?: string[];
}

export interface Grant {
  permission: string;
  condition?: string;
}

export interface Role {
  name: string;
  description: string;
  builtIn: boolean;
  grants: Grant[];
  scopes: Record<string, string[]>;
}

export interface ApiKeyCreated extends Written {
  id: string;
  key?: string;
  owner: { type: string; id: string };
  name?: string;
  expiresAt?: string;
  restricted?: boolean;
}

export interface CheckAnswer {
  allowed: boolean;
  reason: string;
  message: string;
  matched?: { role?: string; grant?: string; condition?: string };
  revision: string;
}

export interface List<T> {
  items: T[];
  revision?: string;
  /** Paged lists: pass it back as --cursor for the next page. */
  nextCursor?: string | null;
}

/** One event of the audit log, as auditors see it. */
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

export interface ChainCheck {
  account: string;
  valid: boolean;
  events: number;
  streams: number;
  firstBreak?: { streamId: string; revision: string; position?: string; problem: string };
}

/** A check answered from history: the revision it was folded to, and that moment's time. */
export interface AsOfAnswer extends CheckAnswer {
  asOf: string;
}

export interface EffectiveAccess {
  principal: { type: string; id: string };
  account: string | { id: string; status: string };
  status: string;
  teams: string[];
  roles: { name: string; grants: Grant[]; scopes: Record<string, string[]> }[];
  revision: string;
}

/** Revisions are decimal strings on the wire; counts may be either. */
export interface ProjectionStatus {
  checkpoint: string;
  head: string;
  lag: number;
  running?: boolean;
  rebuilding: boolean;
  rebuild?: RebuildProgress;
}

export interface RebuildProgress {
  startedAt: string;
  applied: number | string;
  total: number | string;
  eventsPerSecond: number;
  finishedAt?: string;
}

/** A registered resource (issue 5): what checks and lookups see of it. */
export interface Resource {
  type: string;
  id: string;
  owner?: string;
  team?: string;
  tags: Record<string, string[]>;
  revision?: string;
}

export interface ResourceDeleted extends Written {
  type: string;
  id: string;
  deleted: true;
}

/** One page of a lookup; `nextCursor` is null on the last page (a page may be short and still have a next one). */
export interface ResourcesPage {
  resources: Resource[];
  nextCursor: string | null;
  revision: string;
}

export interface Subject {
  type: 'user' | 'service_account';
  id: string;
  matched?: { role: string; grant: string; condition: string };
}

export interface SubjectsPage {
  subjects: Subject[];
  nextCursor: string | null;
  revision: string;
}
