import { AccountState, principalKey } from '@gatehouse/domain';

/** A member as the API shows it. Never includes invitation secrets or their hashes. */
export interface MemberView {
  id: string;
  type: 'user' | 'service_account';
  email?: string;
  status: string;
  roles: string[];
  teams: string[];
}

export function memberView(state: AccountState, userId: string): MemberView | null {
  if (state.status === 'none') return null;
  const m = state.members.get(principalKey({ type: 'user', id: userId }));
  if (!m) return null;
  return { id: m.id, type: m.type, ...(m.email ? { email: m.email } : {}), status: m.status, roles: [...m.roles], teams: [...m.teams] };
}
