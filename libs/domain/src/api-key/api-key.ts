import { assertNoEscalation, authorize } from '../access/authorize';
import { conditionCovers, Grant, isKnownPermission, patternCovers, PrincipalRef, principalKey } from '../access/model';
import { CommandContext } from '../account/account.commands';
import { AccountState, assertNever } from '../account/account.state';
import { errors } from '../errors';

/**
 * An API key's life in its own stream, `apikey-<keyId>`, so key traffic never
 * contends with membership changes. Only the SHA-256 of the secret is ever recorded.
 */

export const apiKeyStream = (keyId: string): string => `apikey-${keyId}`;

export interface ApiKeyCreated {
  type: 'ApiKeyCreated';
  data: {
    accountId: string;
    keyId: string;
    owner: PrincipalRef;
    name: string;
    secretHash: string;
    expiresAt?: string;
    /** Present for a restricted key: it may do only what these grants (and its owner) allow. */
    restriction?: Grant[];
    /** The owner's membership generation: the key dies with that membership. */
    ownerGeneration?: number;
  };
}

export interface ApiKeyRevoked {
  type: 'ApiKeyRevoked';
  data: { accountId: string; keyId: string; owner: PrincipalRef };
}

export type ApiKeyEvent = ApiKeyCreated | ApiKeyRevoked;
export const API_KEY_EVENT_TYPES: readonly ApiKeyEvent['type'][] = ['ApiKeyCreated', 'ApiKeyRevoked'];

export interface CreateApiKey {
  type: 'CreateApiKey';
  accountId: string;
  keyId: string;
  owner: PrincipalRef;
  name: string;
  secretHash: string;
  expiresAt?: Date;
  restriction?: Grant[];
}

export interface RevokeApiKey {
  type: 'RevokeApiKey';
  accountId: string;
  keyId: string;
}

export type ApiKeyCommand = CreateApiKey | RevokeApiKey;

type KeyFields = ApiKeyCreated['data'];
export type ApiKeyState = { status: 'none' } | ({ status: 'active' } & KeyFields) | ({ status: 'revoked' } & KeyFields);

export const initialApiKeyState = (): ApiKeyState => ({ status: 'none' });

export function evolveApiKey(state: ApiKeyState, event: ApiKeyEvent): ApiKeyState {
  switch (event.type) {
    case 'ApiKeyCreated':
      return { status: 'active', ...event.data };
    case 'ApiKeyRevoked':
      return state.status === 'none' ? state : { ...state, status: 'revoked' };
    default:
      return assertNever(event);
  }
}

/** Keys need the account's state too: who may create or revoke them is decided by its roles. */
export function decideApiKey(command: ApiKeyCommand, key: ApiKeyState, account: AccountState, ctx: CommandContext): ApiKeyEvent[] {
  if (account.status === 'none') throw errors.notFound('ACCOUNT.NOT_FOUND', 'the account does not exist');
  if (account.status === 'deleted') throw errors.conflict('ACCOUNT.DELETED', 'the account has been deleted');
  switch (command.type) {
    case 'CreateApiKey': {
      if (key.status !== 'none') throw errors.conflict('API_KEY.ALREADY_EXISTS', `API key ${command.keyId} already exists`);
      const owner = account.members.get(principalKey(command.owner));
      if (!owner || owner.status === 'removed') {
        throw errors.notFound('USER.NOT_FOUND', `${command.owner.type} ${command.owner.id} is not a member of this account`, {
          owner: command.owner,
        });
      }
      const operation = command.owner.type === 'service_account' ? 'service_account_keys.create' : 'api_keys.create';
      authorize(account, ctx.actor, operation, { owner: command.owner.id }, ctx.now);
      const actingForSelf = ctx.actor.kind === 'principal' && principalKey(ctx.actor.principal) === principalKey(command.owner);
      // A key acts with its owner's roles: minting one for someone else must not hand the actor more than it holds.
      if (!actingForSelf) for (const role of owner.roles) assertNoEscalation(account, ctx.actor, role);
      // A restricted key mints only keys at least as restricted: every grant of the new key's
      // restriction must be one the minting key carries (no restriction = everything = refused).
      if (ctx.actor.kind === 'principal' && ctx.actor.restriction) {
        const carried = ctx.actor.restriction;
        const wider = command.restriction
          ? command.restriction.filter((g) => !Object.entries(carried).some(([p, cs]) => patternCovers(p, g.permission) && cs.some((c) => conditionCovers(c, g.condition))))
          : [{ permission: '*', condition: 'any' as const }];
        if (wider.length > 0) {
          throw errors.forbidden(
            'api_key:create',
            `ESCALATION: a restricted key may mint only keys restricted to what it carries, not ${wider.map((g) => `${g.permission} (${g.condition})`).join(', ')}`,
          );
        }
      }
      for (const g of command.restriction ?? []) {
        if (!isKnownPermission(account.model.catalog, g.permission)) {
          throw errors.validation('PERMISSION.UNKNOWN', `unknown permission "${g.permission}" in the key's restriction`, {
            permission: g.permission,
          });
        }
      }
      if (command.expiresAt && command.expiresAt.getTime() <= ctx.now.getTime()) {
        throw errors.validation('API_KEY.EXPIRY_IN_PAST', 'expiresAt must be in the future');
      }
      return [
        {
          type: 'ApiKeyCreated',
          data: {
            accountId: account.id,
            keyId: command.keyId,
            owner: command.owner,
            name: command.name,
            secretHash: command.secretHash,
            ...(command.expiresAt ? { expiresAt: command.expiresAt.toISOString() } : {}),
            ...(command.restriction ? { restriction: command.restriction } : {}),
            ownerGeneration: owner.generation,
          },
        },
      ];
    }
    case 'RevokeApiKey': {
      // A key of another account is reported as unknown: tenants must not learn of each other's keys.
      if (key.status === 'none' || key.accountId !== account.id) {
        throw errors.notFound('API_KEY.NOT_FOUND', `API key ${command.keyId} does not exist in this account`, { keyId: command.keyId });
      }
      authorize(account, ctx.actor, 'api_keys.delete', { owner: key.owner.id }, ctx.now);
      if (key.status === 'revoked') return [];
      return [{ type: 'ApiKeyRevoked', data: { accountId: account.id, keyId: key.keyId, owner: key.owner } }];
    }
    default:
      return assertNever(command);
  }
}
