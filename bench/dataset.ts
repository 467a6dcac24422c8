import { AccessModel, CheckRequest, compileRole, Grant, presetModel, PrincipalRef, RoleDefinition } from '@gatehouse/domain';
import { CacheOp } from '@gatehouse/permission-cache';

/**
 * The benchmark's access model, generated deterministically from a seed (issue 8):
 * one account with roles, teams, users and resources, and a fixed mix of checks. The
 * same model is handed to every peer (Gatehouse as cache operations or events, casbin
 * as policy lines, CASL as rules), so all of them answer the very same questions.
 *
 * Proportions (chosen to resemble the seed products, stated so they can be argued with):
 * - Roles: `admin` (`*`), `viewer` (`*:read`), then custom roles of five kinds:
 *   viewers 20% (read on 3-6 types), editors 35% (read/create any, update/delete own),
 *   team roles 25% (update/delete team), managers 12% (`type:*` on 1-2 types), operators
 *   8% (infer, adapt, sync, metrics); 20% of roles carry an access scope
 *   (knowledge_tags or systems). 4-14 grants per role.
 * - Users hold 1 role (60%), 2 (30%) or 3 (10%), drawn uniformly from the custom roles;
 *   0.5% also hold `admin`, 5% `viewer`. Teams of about 20; 30% of users are in a second team.
 * - Resources: 10 per user, owned by that user, in the owner's first team (80%) or another;
 *   knowledge and connector resources carry 1-2 tags.
 * - Checks: a uniformly random user asks about one of their own resources (35%), a
 *   resource of a teammate (25%) or any resource (40%); the action is a read half the time.
 */

export interface DatasetSpec {
  name: 'small' | 'large';
  users: number;
  roles: number;
  resources: number;
  seed: number;
}

export const SMALL: DatasetSpec = { name: 'small', users: 1_000, roles: 100, resources: 10_000, seed: 20261123 };
export const LARGE: DatasetSpec = { name: 'large', users: 100_000, roles: 10_000, resources: 1_000_000, seed: 20261123 };

export const ACCOUNT = 'bench';

/** The catalog's resource types and their actions. */
export const RESOURCE_TYPES: Record<string, string[]> = {
  dataset: ['read', 'create', 'update', 'delete'],
  model: ['read', 'create', 'update', 'delete'],
  deployment: ['read', 'create', 'update', 'delete', 'infer'],
  fine_tuning_job: ['read', 'create', 'update', 'delete'],
  knowledge: ['read', 'create', 'update', 'delete'],
  connector: ['read', 'create', 'update', 'delete', 'sync'],
  use_case: ['read', 'create', 'update', 'delete', 'adapt'],
  metric: ['read', 'create'],
};
export const TYPES = Object.keys(RESOURCE_TYPES);
/** Scope dimension → the resource types it restricts (disjoint, see `toCaslRules`). */
export const SCOPE_DIMENSIONS: Record<string, string[]> = { knowledge_tags: ['knowledge'], systems: ['connector'] };
export const SCOPE_VALUES: Record<string, string[]> = {
  knowledge_tags: ['hr', 'finance', 'legal', 'eng', 'sales', 'support', 'ops', 'security', 'marketing', 'research', 'exec', 'it', 'data', 'design', 'pr', 'public'],
  systems: ['crm', 'erp', 'wiki', 'tickets', 'git', 'chat', 'mail', 'drive'],
};

export interface BenchUser {
  id: string;
  roles: string[];
  teams: string[];
}

export interface BenchResource {
  type: string;
  id: string;
  owner: string;
  team: string;
  tags?: Record<string, string[]>;
}

export interface BenchCheck {
  /** Index into `users`. */
  user: number;
  principal: PrincipalRef;
  request: CheckRequest & { resource: BenchResource };
  /** The verb alone (`read`), for the peers that split action and subject type. */
  verb: string;
}

export interface Dataset {
  spec: DatasetSpec;
  roles: RoleDefinition[];
  teams: string[];
  users: BenchUser[];
  /** Resource `j` (0 ≤ j < spec.resources), computed from the seed on demand: a million objects need not be kept. */
  resource(j: number): BenchResource;
  /** The fixed check mix every peer answers, in this order. */
  checks: BenchCheck[];
  /** How many grants all roles hold together (casbin's policy size). */
  grantCount: number;
}

/** mulberry32: small, fast, and the same sequence everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stateless hash of (seed, index) to [0, 1): resource j without generating 0..j-1. */
function hash01(seed: number, j: number, salt: number): number {
  let h = (seed ^ Math.imul(j + 1, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** `usr_` and 8+ base32 characters: the shape Gatehouse's HTTP API accepts for user ids. */
export function userId(i: number): string {
  let s = '';
  let n = i;
  for (let k = 0; k < 8; k++) {
    s = BASE32[n & 31] + s;
    n = Math.floor(n / 32);
  }
  return `usr_${s}`;
}

const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const pickSome = <T>(random: () => number, xs: readonly T[], k: number): T[] => {
  const copy = [...xs];
  const out: T[] = [];
  while (out.length < k && copy.length > 0) out.push(copy.splice(Math.floor(random() * copy.length), 1)[0]);
  return out;
};
/** k distinct items by rejection: fine for k much smaller than xs (10,000 roles, 3 picks). */
const pickDistinct = <T>(random: () => number, xs: readonly T[], k: number): T[] => {
  const out: T[] = [];
  while (out.length < Math.min(k, xs.length)) {
    const x = xs[Math.floor(random() * xs.length)];
    if (!out.includes(x)) out.push(x);
  }
  return out;
};
const between = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

function customRole(name: string, random: () => number): RoleDefinition {
  const grants: Grant[] = [];
  const add = (permission: string, condition: Grant['condition']) => {
    if (!grants.some((g) => g.permission === permission && g.condition === condition)) grants.push({ permission, condition });
  };
  const kind = random();
  if (kind < 0.2) {
    if (random() < 0.2) add('*:read', 'any');
    else for (const t of pickSome(random, TYPES, between(random, 3, 6))) add(`${t}:read`, 'any');
  } else if (kind < 0.55) {
    for (const t of pickSome(random, TYPES, between(random, 2, 4))) {
      add(`${t}:read`, 'any');
      add(`${t}:create`, 'any');
      if (RESOURCE_TYPES[t].includes('update')) add(`${t}:update`, 'own');
      if (RESOURCE_TYPES[t].includes('delete')) add(`${t}:delete`, 'own');
    }
  } else if (kind < 0.8) {
    for (const t of pickSome(random, TYPES, between(random, 2, 4))) {
      add(`${t}:read`, random() < 0.5 ? 'team' : 'any');
      add(`${t}:create`, 'any');
      if (RESOURCE_TYPES[t].includes('update')) add(`${t}:update`, 'team');
      if (RESOURCE_TYPES[t].includes('delete')) add(`${t}:delete`, 'team');
    }
  } else if (kind < 0.92) {
    const [first, ...rest] = pickSome(random, TYPES, between(random, 3, 4));
    add(`${first}:*`, 'any');
    if (random() < 0.5) add(`${rest[0]}:*`, 'team');
    for (const t of rest) add(`${t}:read`, 'any');
  } else {
    add('deployment:infer', 'any');
    add('model:read', 'any');
    add('use_case:adapt', 'team');
    add('connector:sync', 'own');
    add('metric:*', 'any');
  }
  const scopes: Record<string, string[]> = {};
  if (random() < 0.2) {
    const dimension = random() < 0.6 ? 'knowledge_tags' : 'systems';
    scopes[dimension] = pickSome(random, SCOPE_VALUES[dimension], between(random, 1, dimension === 'systems' ? 2 : 3));
  }
  return { name, description: `benchmark role ${name}`, builtIn: false, grants, scopes };
}

export function generateDataset(spec: DatasetSpec, checkCount = 100_000): Dataset {
  const random = rng(spec.seed);
  const roles: RoleDefinition[] = [
    { name: 'admin', description: 'everything', builtIn: true, grants: [{ permission: '*', condition: 'any' }], scopes: {} },
    { name: 'viewer', description: 'reads everything', builtIn: false, grants: [{ permission: '*:read', condition: 'any' }], scopes: {} },
  ];
  for (let i = roles.length; i < spec.roles; i++) roles.push(customRole(`role-${String(i).padStart(5, '0')}`, random));
  const custom = roles.slice(2).map((r) => r.name);

  const teamCount = Math.max(5, Math.round(spec.users / 20));
  const teams = Array.from({ length: teamCount }, (_, i) => `team-${String(i).padStart(5, '0')}`);
  const members: number[][] = teams.map(() => []);
  const users: BenchUser[] = [];
  for (let u = 0; u < spec.users; u++) {
    const r = random();
    const held = pickDistinct(random, custom, r < 0.6 ? 1 : r < 0.9 ? 2 : 3);
    if (random() < 0.005) held.push('admin');
    if (random() < 0.05) held.push('viewer');
    const first = Math.min(teamCount - 1, Math.floor(u / 20));
    const userTeams = [first];
    if (random() < 0.3) {
      const second = Math.floor(random() * teamCount);
      if (second !== first) userTeams.push(second);
    }
    for (const t of userTeams) members[t].push(u);
    users.push({ id: userId(u), roles: held, teams: userTeams.map((t) => teams[t]) });
  }

  const perUser = spec.resources / spec.users;
  const resource = (j: number): BenchResource => {
    const ownerIndex = Math.min(spec.users - 1, Math.floor(j / perUser));
    const owner = users[ownerIndex];
    const type = TYPES[Math.floor(hash01(spec.seed, j, 1) * TYPES.length)];
    const team = hash01(spec.seed, j, 2) < 0.8 ? owner.teams[0] : teams[Math.floor(hash01(spec.seed, j, 3) * teamCount)];
    const out: BenchResource = { type, id: `res-${j}`, owner: owner.id, team };
    for (const [dimension, types] of Object.entries(SCOPE_DIMENSIONS)) {
      if (!types.includes(type)) continue;
      const values = SCOPE_VALUES[dimension];
      const a = values[Math.floor(hash01(spec.seed, j, 4) * values.length)];
      const b = values[Math.floor(hash01(spec.seed, j, 5) * values.length)];
      out.tags = { [dimension]: hash01(spec.seed, j, 6) < 0.5 || a === b ? [a] : [a, b] };
    }
    return out;
  };

  const checks: BenchCheck[] = [];
  for (let q = 0; q < checkCount; q++) {
    const u = Math.floor(random() * spec.users);
    const mode = random();
    let j: number;
    if (mode < 0.35) j = Math.floor(u * perUser + random() * perUser);
    else if (mode < 0.6) {
      const team = members[teams.indexOf(pick(random, users[u].teams))];
      const mate = pick(random, team);
      j = Math.floor(mate * perUser + random() * perUser);
    } else j = Math.floor(random() * spec.resources);
    const res = resource(Math.min(spec.resources - 1, j));
    const actions = RESOURCE_TYPES[res.type];
    const verb = random() < 0.5 ? 'read' : pick(random, actions.slice(1));
    checks.push({ user: u, principal: { type: 'user', id: users[u].id }, request: { action: `${res.type}:${verb}`, resource: res }, verb });
  }
  return { spec, roles, teams, users, resource, checks, grantCount: roles.reduce((n, r) => n + r.grants.length, 0) };
}

/** The access model the account is created with (the `custom` preset, with the benchmark's catalog added). */
export function accessModel(extraTypes: Record<string, string[]> = {}): AccessModel {
  const base = presetModel('custom');
  return {
    ...base,
    catalog: {
      resourceTypes: { ...base.catalog.resourceTypes, ...RESOURCE_TYPES, ...extraTypes },
      scopeDimensions: { ...SCOPE_DIMENSIONS },
    },
  };
}

/** The dataset as Gatehouse's permission cache receives it (what the projector would apply). */
export function* cacheOps(d: Dataset, chunk = 10_000): Generator<CacheOp[]> {
  let ops: CacheOp[] = [{ op: 'account.put', account: ACCOUNT, record: { status: 'active', scopeDimensions: SCOPE_DIMENSIONS } }];
  for (const r of d.roles) {
    ops.push({ op: 'role.put', account: ACCOUNT, role: compileRole(r) });
    if (ops.length >= chunk) {
      yield ops;
      ops = [];
    }
  }
  for (const u of d.users) {
    ops.push({ op: 'principal.put', account: ACCOUNT, principal: { type: 'user', id: u.id, status: 'active', roles: [...u.roles], teams: [...u.teams] } });
    if (ops.length >= chunk) {
      yield ops;
      ops = [];
    }
  }
  if (ops.length > 0) yield ops;
}
