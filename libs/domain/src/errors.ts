/**
 * Every refusal in Gatehouse is a DomainError with a stable code (clients branch on
 * it) and a category (each transport maps categories to its own statuses, once).
 */
export type ErrorCategory =
  | 'validation' // the request is malformed or names something impossible
  | 'unauthenticated' // no credential, or a wrong, revoked or expired one
  | 'forbidden' // authenticated, but the account's roles do not allow it
  | 'not_found'
  | 'conflict' // the request contradicts the current state (already exists, last admin…)
  | 'concurrency' // lost a race too many times; safe to retry
  | 'not_ready' // the cache has not reached the requested revision yet; retry shortly
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'; // a dependency is down; retry later

export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly category: ErrorCategory,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;

// Constructors for the codes used in more than one place; one-off codes are written inline.
export const errors = {
  validation: (code: string, message: string, details?: Record<string, unknown>) =>
    new DomainError(code, 'validation', message, details),
  forbidden: (permission: string, reason: string) =>
    new DomainError('PERMISSION.DENIED', 'forbidden', `not allowed: ${permission} (${reason})`, { permission, reason }),
  notFound: (code: string, message: string, details?: Record<string, unknown>) =>
    new DomainError(code, 'not_found', message, details),
  conflict: (code: string, message: string, details?: Record<string, unknown>) =>
    new DomainError(code, 'conflict', message, details),
  /** The event store cannot be written (or read) now: nothing was appended; retry later (HTTP 503 with Retry-After). */
  storeUnavailable: () => new DomainError(STORE_UNAVAILABLE, 'unavailable', 'the event store is unavailable: retry later'),
};

/** The event store is down, locked or out of space: writes are refused with this code while checks go on from the cache. */
export const STORE_UNAVAILABLE = 'EVENT_STORE.UNAVAILABLE';

/** The permission cache does not answer (Redis down, timing out, loading): a check fails closed with this code (HTTP 503 + Retry-After, gRPC UNAVAILABLE). */
export const CACHE_UNAVAILABLE = 'PERMISSION_CACHE.UNAVAILABLE';
/** The permission cache holds no data while the store does (lost, or not rebuilt yet): a check is refused with this code, never answered as if nobody were known. */
export const CACHE_NOT_READY = 'PERMISSION_CACHE.NOT_READY';
