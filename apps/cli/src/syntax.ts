import { PERMISSION_PATTERN, SERVICE_ACCOUNT_ID_PATTERN, USER_ID_PATTERN } from '@gatehouse/contracts';
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
