import { createMongoAbility, MongoAbility, RawRuleOf } from '@casl/ability';
import { Enforcer, newEnforcer, newModelFromString } from 'casbin';
import { RoleDefinition } from '@gatehouse/domain';
import { ACCOUNT, BenchResource, BenchUser, Dataset, SCOPE_DIMENSIONS, TYPES } from './dataset';

/**
 * The same model in the two libraries a TypeScript team would otherwise use. Each
 * translation is checked against Gatehouse's answers on the benchmark's own checks
 * before anything is timed (see `agreement` in checks.bench.ts).
 *
 * Gatehouse merges access scopes across the roles that grant an action. Per-rule
 * conditions (CASL, casbin) give the same answers when every scope dimension restricts
 * its own resource types, which the dataset guarantees (SCOPE_DIMENSIONS is disjoint).
 */

interface Expanded {
  /** `*` for every type. */
  type: string;
  /** `*` for every action. */
  verb: string;
  condition: 'any' | 'own' | 'team';
  /** One restricted dimension with its values, for a type that dimension restricts. */
  scope?: { dimension: string; values: string[] };
}

/**
 * A role's grants with scopes made explicit: a `*` type granted by a scoped role becomes
 * the unrestricted types plus one rule per restricted type carrying the tag condition.
 */
export function expandRole(role: RoleDefinition): Expanded[] {
  const restricted = new Map<string, { dimension: string; values: string[] }>();
  for (const [dimension, values] of Object.entries(role.scopes)) {
    if (values.length === 0) continue;
    for (const t of SCOPE_DIMENSIONS[dimension] ?? []) restricted.set(t, { dimension, values });
  }
  const out: Expanded[] = [];
  for (const g of role.grants) {
    const [type, verb] = g.permission === '*' || g.permission === '*:*' ? ['*', '*'] : g.permission.split(':');
    if (restricted.size === 0) out.push({ type, verb, condition: g.condition });
    else if (type === '*') {
      for (const t of TYPES) out.push({ type: t, verb, condition: g.condition, ...(restricted.has(t) ? { scope: restricted.get(t) } : {}) });
    } else out.push({ type, verb, condition: g.condition, ...(restricted.has(type) ? { scope: restricted.get(type) } : {}) });
  }
  return out;
}

// ---------------------------------------------------------------- CASL

type CaslAbility = MongoAbility<[string, string | BenchResource]>;

/**
 * @casl/ability: one Ability per user, from the rules of the roles they hold, with
 * `owner` / `team` / tag conditions. Built on first use and kept in an LRU of 10,000, as
 * a server would bound it: an Ability holds its user's own copy of every rule. (Gatehouse
 * keeps every principal's view memoized instead: a few hundred bytes each, the compiled
 * roles being shared by everyone holding them; see the memory figures.)
 */
export class CaslPeer {
  private readonly rolesByName: Map<string, Expanded[]>;
  private readonly abilities = new Map<string, CaslAbility>();
  built = 0;

  constructor(private readonly dataset: Dataset, private readonly capacity = 10_000) {
    this.rolesByName = new Map(dataset.roles.map((r) => [r.name, expandRole(r)]));
  }

  rulesFor(user: BenchUser): RawRuleOf<CaslAbility>[] {
    const rules: RawRuleOf<CaslAbility>[] = [];
    for (const name of user.roles) {
      for (const e of this.rolesByName.get(name) ?? []) {
        const conditions: Record<string, unknown> = {};
        if (e.condition === 'own') conditions.owner = user.id;
        else if (e.condition === 'team') conditions.team = { $in: user.teams };
        if (e.scope) conditions[`tags.${e.scope.dimension}`] = { $in: e.scope.values };
        rules.push({
          action: e.verb === '*' ? 'manage' : e.verb,
          subject: e.type === '*' ? 'all' : e.type,
          ...(Object.keys(conditions).length > 0 ? { conditions } : {}),
        });
      }
    }
    return rules;
  }

  ability(userIndex: number): CaslAbility {
    const user = this.dataset.users[userIndex];
    let a = this.abilities.get(user.id);
    if (a) {
      this.abilities.delete(user.id);
      this.abilities.set(user.id, a);
      return a;
    }
    a = createMongoAbility<CaslAbility>(this.rulesFor(user), { detectSubjectType: (o) => (typeof o === 'string' ? o : o.type) });
    this.built++;
    this.abilities.set(user.id, a);
    if (this.abilities.size > this.capacity) this.abilities.delete(this.abilities.keys().next().value as string);
    return a;
  }

  can(userIndex: number, verb: string, resource: BenchResource): boolean {
    return this.ability(userIndex).can(verb, resource);
  }
}

// ---------------------------------------------------------------- casbin

/**
 * node-casbin, RBAC with domains plus an ownership matcher: `g` links users to roles in
 * the account (the domain), `g2` users to teams, one policy line per (role, grant) with
 * its condition and scope. This is how the casbin documentation would have it; the
 * enforcer walks the policy lines for every request.
 */
export const CASBIN_MODEL = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, typ, act, cond, scope

[role_definition]
g = _, _, _
g2 = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.dom == p.dom && (p.typ == "*" || p.typ == r.obj.type) && (p.act == "*" || p.act == r.act) && g(r.sub, p.sub, r.dom) && (p.cond == "any" || (p.cond == "own" && r.obj.owner == r.sub) || (p.cond == "team" && g2(r.sub, r.obj.team, r.dom))) && (p.scope == "" || scopeMatch(r.obj.tags, p.scope))
`;

export function casbinPolicy(d: Dataset): { p: string[][]; g: string[][]; g2: string[][] } {
  const p: string[][] = [];
  for (const role of d.roles) {
    for (const e of expandRole(role)) {
      p.push([role.name, ACCOUNT, e.type, e.verb, e.condition, e.scope ? `${e.scope.dimension}=${e.scope.values.join('|')}` : '']);
    }
  }
  const g: string[][] = [];
  const g2: string[][] = [];
  for (const u of d.users) {
    for (const r of u.roles) g.push([u.id, r, ACCOUNT]);
    for (const t of u.teams) g2.push([u.id, t, ACCOUNT]);
  }
  return { p, g, g2 };
}

function scopeMatch(tags: Record<string, string[]> | undefined, scope: string): boolean {
  const eq = scope.indexOf('=');
  const have = tags?.[scope.slice(0, eq)];
  if (!have) return false;
  const values = scope.slice(eq + 1).split('|');
  return have.some((v) => values.includes(v));
}

export class CasbinPeer {
  private constructor(readonly enforcer: Enforcer, readonly policyLines: number, readonly groupingLines: number, readonly loadSeconds: number) {}

  static async load(d: Dataset): Promise<CasbinPeer> {
    const start = process.hrtime.bigint();
    const { p, g, g2 } = casbinPolicy(d);
    const enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL));
    await enforcer.addFunction('scopeMatch', scopeMatch);
    // The model's bulk calls: addPolicies would check each line against the adapter first.
    const model = enforcer.getModel();
    model.addPolicies('p', 'p', p);
    model.addPolicies('g', 'g', g);
    model.addPolicies('g', 'g2', g2);
    await enforcer.buildRoleLinks();
    const loadSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    return new CasbinPeer(enforcer, p.length, g.length + g2.length, loadSeconds);
  }

  can(userId: string, verb: string, resource: BenchResource): boolean {
    return this.enforcer.enforceSync(userId, ACCOUNT, resource, verb);
  }
}
