import { createHash, randomUUID } from 'node:crypto';
import { actorLabel, DomainError } from '@gatehouse/domain';
import { RequestContext } from '../commands/command-runner';
import type { AuthenticatedRequest } from '../auth/auth.guard';

const HEADER_VALUE = /^[\x21-\x7e]{1,255}$/;

/**
 * Ids for one HTTP request. With an `Idempotency-Key`, the command id is derived from
 * it (scoped to the caller and the account) so that a retry is recognised; without
 * one, every request is a new command.
 */
export function requestContext(request: AuthenticatedRequest, account: string, payload: unknown): RequestContext {
  const actor = request.actor ?? { kind: 'anonymous' };
  const idempotencyKey = header(request, 'idempotency-key');
  const correlationId = header(request, 'x-correlation-id') ?? randomUUID();
  const commandHash = createHash('sha256')
    .update(`${request.method} ${request.routeOptions?.url ?? request.url}\n${JSON.stringify(request.params ?? {})}\n${JSON.stringify(payload ?? null)}`)
    .digest('hex');
  const commandId = idempotencyKey
    ? `idem:${createHash('sha256').update(`${account}\n${actorLabel(actor)}\n${idempotencyKey}`).digest('hex')}`
    : randomUUID();
  return { actor, commandId, commandHash, correlationId };
}

function header(request: AuthenticatedRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
    throw new DomainError('REQUEST.INVALID_HEADER', 'validation', `header ${name} must be 1-255 visible ASCII characters`);
  }
  return value;
}
