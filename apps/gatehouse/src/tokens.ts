/** DI tokens for the ports: symbols, so an adapter is chosen by wiring, never by class. */
export const EVENT_STORE = Symbol('EventStore');
export const PERMISSION_CACHE = Symbol('PermissionCache');
export const CLOCK = Symbol('Clock');
export const IDS = Symbol('IdGenerator');
export const CONFIG = Symbol('Config');
export const ROOT_KEY = Symbol('RootKey');
