/**
 * A user is one global identity keyed by email (Fireworks: a user may belong to several
 * accounts). The `identity-<hash of email>` stream claims an email for one user id; its
 * first append, with expected revision "no stream", settles any race between accounts.
 */
export interface UserIdentityRegistered {
  type: 'UserIdentityRegistered';
  data: { userId: string; email: string };
}

export type IdentityEvent = UserIdentityRegistered;

export type IdentityState = { status: 'none' } | { status: 'registered'; userId: string; email: string };

export const initialIdentityState = (): IdentityState => ({ status: 'none' });

export function evolveIdentity(_state: IdentityState, event: IdentityEvent): IdentityState {
  return { status: 'registered', userId: event.data.userId, email: event.data.email };
}

/** Returns the event to claim the email, or nothing when it is already claimed. */
export function decideRegisterIdentity(state: IdentityState, email: string, newUserId: string): IdentityEvent[] {
  if (state.status === 'registered') return [];
  return [{ type: 'UserIdentityRegistered', data: { userId: newUserId, email } }];
}

/** Stream names hold a digest, not the email: stream ids end up in logs and metrics. */
export const identityStream = (emailDigest: string): string => `identity-${emailDigest}`;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const isEmail = (value: string): boolean => value.length <= 254 && EMAIL.test(value);
