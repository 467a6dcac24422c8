import { AccountEvent } from './account/account.events';
import { ApiKeyEvent } from './api-key/api-key';
import { IdentityEvent } from './identity/identity';
import { LoginEvent } from './logins/logins';
import { ResourceEvent } from './resource/resource';

/** Every event Gatehouse stores. Adding one here makes each exhaustive switch a compile error until handled. */
export type GatehouseEvent = AccountEvent | ApiKeyEvent | IdentityEvent | LoginEvent | ResourceEvent;
export type GatehouseEventType = GatehouseEvent['type'];

/** Bumped when an event's data changes shape; stored in metadata and sent as a Kafka header. */
export const EVENT_SCHEMA_VERSION = 1;
