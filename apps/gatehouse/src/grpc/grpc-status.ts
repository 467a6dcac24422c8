import { Logger } from '@nestjs/common';
import { Metadata, status as Status } from '@grpc/grpc-js';
import { DomainError, ErrorCategory, isDomainError } from '@gatehouse/domain';
import { loadStatusTypes } from './proto';

/**
 * The single place where errors become gRPC statuses, as ProblemFilter is for HTTP.
 * The Record makes a new error category a compile error here until it is mapped.
 */
const BY_CATEGORY: Record<ErrorCategory, Status> = {
  validation: Status.INVALID_ARGUMENT,
  unauthenticated: Status.UNAUTHENTICATED,
  forbidden: Status.PERMISSION_DENIED,
  not_found: Status.NOT_FOUND,
  // Refined below: "X already exists" is ALREADY_EXISTS; the rest (last admin, role in
  // use, deleted account…) is a state the caller must change first.
  conflict: Status.FAILED_PRECONDITION,
  concurrency: Status.ABORTED,
  // Not yet at the requested revision: the system is not in the state the call needs
  // yet (gRPC's own guidance for FAILED_PRECONDITION), and a retry may succeed.
  not_ready: Status.FAILED_PRECONDITION,
  too_large: Status.RESOURCE_EXHAUSTED,
  rate_limited: Status.RESOURCE_EXHAUSTED,
  unavailable: Status.UNAVAILABLE,
};

/** Categories worth retrying after a pause (HTTP says so with `Retry-After: 1`). */
const RETRYABLE: ReadonlySet<ErrorCategory> = new Set(['not_ready', 'unavailable', 'concurrency', 'rate_limited']);

export const ERROR_CODE_KEY = 'gatehouse-error-code';
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const ERROR_DOMAIN = 'gatehouse.dev';

export interface GrpcStatus {
  code: Status;
  details: string;
  metadata: Metadata;
}

const logger = new Logger('gRPC');
const types = loadStatusTypes();
/** A dependency that is down is logged once per interval (as over HTTP), not once per refused call. */
let lastUnavailableLog = 0;
const UNAVAILABLE_LOG_INTERVAL_MS = 10_000;

export function grpcCodeOf(error: DomainError): Status {
  if (error.category === 'conflict' && /\.ALREADY_(EXISTS|MEMBER)$/.test(error.code)) return Status.ALREADY_EXISTS;
  return BY_CATEGORY[error.category];
}

/**
 * @param context.deadlinePassed the call's deadline has passed: whatever went wrong, the
 * caller gets DEADLINE_EXCEEDED (what its own client reports at that moment anyway),
 * still with the stable code of the error that ended the work.
 */
export function toGrpcStatus(error: unknown, context: { method?: string; deadlinePassed?: boolean } = {}): GrpcStatus {
  if (!isDomainError(error)) {
    logger.error(`${context.method ?? 'call'}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return status(Status.INTERNAL, 'INTERNAL', 'internal error: the incident was logged', {}, false);
  }
  if (error.category === 'unavailable' && Date.now() - lastUnavailableLog >= UNAVAILABLE_LOG_INTERVAL_MS) {
    lastUnavailableLog = Date.now();
    logger.warn(`${context.method ?? 'call'}: ${error.code}: ${error.message} (further ones for ${UNAVAILABLE_LOG_INTERVAL_MS / 1000} s not logged)`);
  }
  const code = context.deadlinePassed ? Status.DEADLINE_EXCEEDED : grpcCodeOf(error);
  return status(code, error.code, error.message, error.details ?? {}, RETRYABLE.has(error.category));
}

function status(code: Status, errorCode: string, message: string, details: Record<string, unknown>, retryable: boolean): GrpcStatus {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_KEY, errorCode);
  metadata.set(STATUS_DETAILS_KEY, statusDetails(code, errorCode, message, details, retryable));
  return { code, details: message, metadata };
}

/** google.rpc.Status { code, message, details: [ErrorInfo, RetryInfo?] }, as Google's client libraries read it. */
function statusDetails(code: Status, errorCode: string, message: string, details: Record<string, unknown>, retryable: boolean): Buffer {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(details)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  // protobufjs names Any's fields as any.proto does: type_url.
  const any = [{ type_url: 'type.googleapis.com/google.rpc.ErrorInfo', value: types.ErrorInfo.encode({ reason: errorCode, domain: ERROR_DOMAIN, metadata }).finish() }];
  if (retryable) {
    any.push({ type_url: 'type.googleapis.com/google.rpc.RetryInfo', value: types.RetryInfo.encode({ retryDelay: { seconds: 1, nanos: 0 } }).finish() });
  }
  return Buffer.from(types.Status.encode({ code, message, details: any }).finish());
}
