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
} from '@gatehouse/domain';
import { Fold } from './command-runner';

export const accountFold: Fold<AccountState, AccountEvent> = { initialState: initialAccountState, evolve: evolveAccount };
export const apiKeyFold: Fold<ApiKeyState, ApiKeyEvent> = { initialState: initialApiKeyState, evolve: evolveApiKey };
export const identityFold: Fold<IdentityState, IdentityEvent> = { initialState: initialIdentityState, evolve: evolveIdentity };
