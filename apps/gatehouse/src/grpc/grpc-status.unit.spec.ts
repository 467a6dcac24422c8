import { Logger } from '@nestjs/common';
import { status as Status } from '@grpc/grpc-js';
import { DomainError, ErrorCategory } from '@gatehouse/domain';
import { ERROR_CODE_KEY, STATUS_DETAILS_KEY, toGrpcStatus } from './grpc-status';
import { loadStatusTypes } from './proto';

const types = loadStatusTypes();

function decode(buffer: Buffer) {
  // Any is read raw: protobufjs names its fields as any.proto does (type_url).
  const status = types.Status.decode(buffer) as unknown as { code: number; message: string; details: { type_url: string; value: Uint8Array }[] };
  return {
    code: status.code,
    message: status.message,
    details: status.details.map((d) => {
      const type = d.type_url.replace('type.googleapis.com/', '');
      const message = types.Status.root.lookupType(type);
      return { type, value: message.toObject(message.decode(d.value), { longs: Number }) };
    }),
  };
}

describe('the gRPC status mapper', () => {
  const table: [ErrorCategory, string, Status][] = [
    ['validation', 'REQUEST.INVALID_BODY', Status.INVALID_ARGUMENT],
    ['unauthenticated', 'AUTH.INVALID_CREDENTIALS', Status.UNAUTHENTICATED],
    ['forbidden', 'PERMISSION.DENIED', Status.PERMISSION_DENIED],
    ['not_found', 'USER.NOT_FOUND', Status.NOT_FOUND],
    ['conflict', 'ROLE.ALREADY_EXISTS', Status.ALREADY_EXISTS],
    ['conflict', 'USER.ALREADY_MEMBER', Status.ALREADY_EXISTS],
    ['conflict', 'ADMIN.LAST_ADMIN', Status.FAILED_PRECONDITION],
    ['conflict', 'ROLE.IN_USE', Status.FAILED_PRECONDITION],
    ['concurrency', 'CONCURRENCY.CONFLICT', Status.ABORTED],
    ['not_ready', 'CONSISTENCY.NOT_YET_APPLIED', Status.FAILED_PRECONDITION],
    ['too_large', 'REQUEST.BODY_TOO_LARGE', Status.RESOURCE_EXHAUSTED],
    ['rate_limited', 'REQUEST.RATE_LIMITED', Status.RESOURCE_EXHAUSTED],
    ['unavailable', 'EVENT_STORE.UNAVAILABLE', Status.UNAVAILABLE],
  ];

  it.each(table)('%s (%s) → %s, with the code in the trailers', (category, code, expected) => {
    const status = toGrpcStatus(new DomainError(code, category, `because ${code}`, { atLeast: '42', errors: [{ pointer: '#/action' }] }));
    expect(status.code).toBe(expected);
    expect(status.details).toBe(`because ${code}`);
    expect(status.metadata.get(ERROR_CODE_KEY)).toEqual([code]);
    const details = decode(status.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer);
    expect(details.code).toBe(expected);
    expect(details.message).toBe(`because ${code}`);
    expect(details.details[0]).toEqual({
      type: 'google.rpc.ErrorInfo',
      value: { reason: code, domain: 'gatehouse.dev', metadata: { atLeast: '42', errors: '[{"pointer":"#/action"}]' } },
    });
    const retryable = ['not_ready', 'unavailable', 'concurrency', 'rate_limited'].includes(category);
    expect(details.details.slice(1)).toEqual(retryable ? [{ type: 'google.rpc.RetryInfo', value: { retryDelay: { seconds: 1, nanos: 0 } } }] : []);
  });

  it('covers every error category', () => {
    const categories: Record<ErrorCategory, true> = {
      validation: true,
      unauthenticated: true,
      forbidden: true,
      not_found: true,
      conflict: true,
      concurrency: true,
      not_ready: true,
      too_large: true,
      rate_limited: true,
      unavailable: true,
    };
    expect(new Set(table.map(([c]) => c))).toEqual(new Set(Object.keys(categories)));
  });

  it('turns anything that is not a DomainError into INTERNAL, logged, without its message', () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const status = toGrpcStatus(new Error('secret detail of a defect'), { method: 'Check' });
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('Check: Error: secret detail of a defect'));
    logged.mockRestore();
    expect(status.code).toBe(Status.INTERNAL);
    expect(status.details).not.toContain('secret');
    expect(status.metadata.get(ERROR_CODE_KEY)).toEqual(['INTERNAL']);
    expect(decode(status.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer).details).toHaveLength(1);
  });

  it('reports DEADLINE_EXCEEDED once the deadline has passed, keeping the code of what ended the work', () => {
    const status = toGrpcStatus(new DomainError('CONSISTENCY.NOT_YET_APPLIED', 'not_ready', 'not yet'), { deadlinePassed: true });
    expect(status.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(status.metadata.get(ERROR_CODE_KEY)).toEqual(['CONSISTENCY.NOT_YET_APPLIED']);
  });
});
