import { principalKey } from '../access/model';
import { Actor } from '../actor';
import { authorize } from '../access/authorize';
import { AccountState } from '../account/account.state';
import { errors } from '../errors';

/**
 * Login history (Firefly): one stream per member, `logins-<account>-<userId>`, so a busy
 * login path never contends with membership changes on the account stream.
 */
export const loginsStream = (accountId: string, userId: string): string => `logins-${accountId}-${userId}`;

export type LoginMethod = 'password' | 'sso' | 'api_key';
export const LOGIN_METHODS: readonly LoginMethod[] = ['password', 'sso', 'api_key'];

export interface LoginRecorded {
  type: 'LoginRecorded';
  data: { accountId: string; userId: string; method: LoginMethod; at: string; sourceAddress?: string; userAgent?: string };
}

export type LoginEvent = LoginRecorded;

export interface RecordLogin {
  type: 'RecordLogin';
  accountId: string;
  userId: string;
  method: LoginMethod;
  sourceAddress?: string;
  userAgent?: string;
}

/** Logins are recorded by the identity provider's integration (members.provision), or by the user for themselves. */
export function decideRecordLogin(command: RecordLogin, account: AccountState, ctx: { actor: Actor; now: Date }): LoginEvent[] {
  if (account.status === 'none') throw errors.notFound('ACCOUNT.NOT_FOUND', 'the account does not exist');
  if (account.status === 'deleted') throw errors.conflict('ACCOUNT.DELETED', 'the account has been deleted');
  const member = account.members.get(principalKey({ type: 'user', id: command.userId }));
  if (!member || member.status === 'removed') {
    throw errors.notFound('USER.NOT_FOUND', `user ${command.userId} is not a member of this account`, { userId: command.userId });
  }
  const self = ctx.actor.kind === 'principal' && ctx.actor.principal.type === 'user' && ctx.actor.principal.id === command.userId;
  if (!self) authorize(account, ctx.actor, 'members.provision', { id: command.userId }, ctx.now);
  if (member.status !== 'active') {
    throw errors.conflict('USER.NOT_ACTIVE', `user ${command.userId} is ${member.status}: the login is refused`);
  }
  return [
    {
      type: 'LoginRecorded',
      data: {
        accountId: command.accountId,
        userId: command.userId,
        method: command.method,
        at: ctx.now.toISOString(),
        ...(command.sourceAddress ? { sourceAddress: command.sourceAddress } : {}),
        ...(command.userAgent ? { userAgent: command.userAgent } : {}),
      },
    },
  ];
}
