import {
  AccountEvent,
  AccountState,
  ApiKeyEvent,
  ApiKeyState,
  evolveAccount,
  evolveApiKey,
  evolveIdentity,
  IdentityEvent,
  IdentityState,
  initialAccountState,
  initialApiKeyState,
  initialIdentityState,
  LoginEvent,
} from '@gatehouse/domain';
import { Fold } from './command-runner';

export const accountFold: Fold<AccountState, AccountEvent> = { initialState: initialAccountState, evolve: evolveAccount };
export const apiKeyFold: Fold<ApiKeyState, ApiKeyEvent> = { initialState: initialApiKeyState, evolve: evolveApiKey };
export const identityFold: Fold<IdentityState, IdentityEvent> = { initialState: initialIdentityState, evolve: evolveIdentity };

/** Login history needs no state to decide: the fold only counts. */
export const loginsFold: Fold<number, LoginEvent> = { initialState: () => 0, evolve: (n) => n + 1 };
