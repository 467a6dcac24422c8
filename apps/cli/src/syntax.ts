import { PERMISSION_PATTERN, RESOURCE_ID_PARAM_PATTERN, RESOURCE_TYPE_PARAM_PATTERN, SERVICE_ACCOUNT_ID_PATTERN, USER_ID_PATTERN } from '@gatehouse/contracts';
import { UsageError } from './errors';

/**
 * The text forms of the CLI's structured arguments. Permissions contain ':'
 * (`dataset:read`), so a grant's condition follows '@': `dataset:read@own`.
 */

export type Condition = 'any' | 'own' | 'team';
export interface GrantBody {
  permission: string;
  condition: Condition;
}

const CONDITIONS: readonly Condition[] = ['any', 'own', 'team'];
const permission = new RegExp(PERMISSION_PATTERN);

/** `permission` or `permission@any|own|team`, e.g. `dataset:*@team`. */
export function parseGrant(text: string, option = 'grant'): GrantBody {
  const at = text.lastIndexOf('@');
  const name = at < 0 ? text : text.slice(0, at);
  const condition = at < 0 ? 'any' : text.slice(at + 1);
  if (!CONDITIONS.includes(condition as Condition)) {
    throw new UsageError(`--${option} "${text}": the condition after @ must be any, own or team`);
  }
  if (!permission.test(name)) {
    throw new UsageError(`--${option} "${text}": a permission is resource:action (dataset:read, dataset:*, *:read or *)`);
  }
  return { permission: name, condition: condition as Condition };
}

export function formatGrant(grant: { permission: string; condition?: string }): string {
  return !grant.condition || grant.condition === 'any' ? grant.permission : `${grant.permission}@${grant.condition}`;
}

/** Repeated `name=v1,v2` options as `{ name: [v1, v2] }`; `name=` is an empty list. */
export function parseLists(values: readonly string[], option: string): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const text of values) {
    const eq = text.indexOf('=');
    const name = eq < 0 ? '' : text.slice(0, eq).trim();
    if (!name) throw new UsageError(`--${option} "${text}": expected name=value1,value2`);
    const items = text
      .slice(eq + 1)
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    result[name] = [...(result[name] ?? []), ...items];
  }
  return result;
}

export type PrincipalBody = { type: 'user' | 'service_account'; id: string } | { apiKey: string };

/** `user:<id>`, `service_account:<id>` (or `service-account:`) or `key:<gh_…>`. */
export function parsePrincipal(text: string): PrincipalBody {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? '' : text.slice(0, colon);
  const value = text.slice(colon + 1);
  if (colon > 0 && value) {
    if (kind === 'user') return { type: 'user', id: value };
    if (kind === 'service_account' || kind === 'service-account') return { type: 'service_account', id: value };
    if (kind === 'key') return { apiKey: value };
  }
  throw new UsageError(`principal "${text}": expected user:<USER_ID>, service_account:<id> or key:<api key>`);
}

/** `type/id` or `type`. */
export function parseResource(text: string): { type: string; id?: string } {
  const slash = text.indexOf('/');
  const type = slash < 0 ? text : text.slice(0, slash);
  const id = slash < 0 ? undefined : text.slice(slash + 1);
  if (!type || id === '') throw new UsageError(`resource "${text}": expected type/id (dataset/ds-1) or a type (dataset)`);
  return id === undefined ? { type } : { type, id };
}

const userId = new RegExp(USER_ID_PATTERN);

/** Users are named by id; an email here is the usual mistake, so say how to find the id. */
export function requireUserId(text: string, what = 'USER_ID'): string {
  if (!userId.test(text)) {
    throw new UsageError(`${what} "${text}" is not a user id (usr_…): \`gatehouse user list\` shows the ids`);
  }
  return text;
}

const serviceAccountId = new RegExp(SERVICE_ACCOUNT_ID_PATTERN);

export function requireServiceAccountId(text: string, what = 'SA_ID'): string {
  if (!serviceAccountId.test(text)) {
    throw new UsageError(`${what} "${text}" is not a service account id (sa_…): \`gatehouse service-account list\` shows the ids`);
  }
  return text;
}

/** `user:<USER_ID>` or `service_account:<SA_ID>`: a member by id (no API key), its id checked. */
export function parseMember(text: string, keyHint: string): { type: 'user' | 'service_account'; id: string } {
  const principal = parsePrincipal(text);
  if ('apiKey' in principal) throw new UsageError(`principal "${text}": ${keyHint}`);
  if (principal.type === 'user') requireUserId(principal.id, `principal "${text}": the id`);
  else requireServiceAccountId(principal.id, `principal "${text}": the id`);
  return principal;
}

/** The owner of a resource: a member's id, user (usr_…) or service account (sa_…). */
export function requireOwnerId(text: string, option = 'owner'): string {
  if (!userId.test(text) && !serviceAccountId.test(text)) {
    throw new UsageError(
      `--${option} "${text}" is not a user id (usr_…) or service account id (sa_…): \`gatehouse user list\` and \`gatehouse service-account list\` show the ids`,
    );
  }
  return text;
}

const resourceType = new RegExp(RESOURCE_TYPE_PARAM_PATTERN);
const resourceId = new RegExp(RESOURCE_ID_PARAM_PATTERN);
const action = /^[a-z][a-z0-9_]{0,63}:[a-z][a-z0-9_]{0,63}$/;
const dimension = /^[a-z][a-z0-9_]{0,63}$/;

export function requireResourceType(text: string, what = 'TYPE'): string {
  if (!resourceType.test(text)) {
    throw new UsageError(`${what} "${text}" is not a resource type (lower case, e.g. deployment): \`gatehouse catalog get\` lists the account's types`);
  }
  return text;
}

export function requireResourceId(text: string, what = 'ID'): string {
  if (!resourceId.test(text)) {
    throw new UsageError(`${what} "${text}" is not a resource id: 1 to 128 of the characters A-Z a-z 0-9 _ . : @ = + ~ -`);
  }
  return text;
}

/** `type:verb` with neither part a wildcard, e.g. `deployment:read`: what a lookup asks about. */
export function requireAction(text: string): { action: string; type: string } {
  if (!action.test(text)) throw new UsageError(`action "${text}": expected resource:action without wildcards, e.g. deployment:read`);
  return { action: text, type: text.slice(0, text.indexOf(':')) };
}

/** `type/id` with both parts: one resource (`deployment/dep-1`). */
export function parseResourceRef(text: string): { type: string; id: string } {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) throw new UsageError(`resource "${text}": expected type/id, e.g. deployment/dep-1`);
  return { type: requireResourceType(text.slice(0, slash), 'resource type'), id: text.slice(slash + 1) };
}

/** Repeated `--tag dimension=v1,v2` as `{ dimension: [v1, v2] }`; each needs a dimension and a value. */
export function parseTags(values: readonly string[], option = 'tag'): Record<string, string[]> {
  const tags: Record<string, string[]> = {};
  for (const text of values) {
    const eq = text.indexOf('=');
    const name = eq < 0 ? '' : text.slice(0, eq).trim();
    const items = eq < 0 ? [] : text.slice(eq + 1).split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (!name || items.length === 0) throw new UsageError(`--${option} "${text}": expected dimension=value (env=prod), or several values: env=prod,dev`);
    if (!dimension.test(name)) throw new UsageError(`--${option} "${text}": the dimension before = must be lower case letters, digits and _ (e.g. env=prod)`);
    tags[name] = [...(tags[name] ?? []), ...items];
  }
  return tags;
}

/** Tags as one cell, as roles show scopes: `env=dev|prod`, dimensions comma separated. */
export function formatTags(tags: Record<string, string[]> | undefined): string[] {
  return Object.entries(tags ?? {}).map(([name, values]) => `${name}=${values.join('|')}`);
}

/** A word as a shell reads it back: bare when safe, single-quoted otherwise. */
export function shellWord(text: string): string {
  return /^[\w.:,/@=+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
