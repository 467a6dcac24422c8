import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorCategory } from '@gatehouse/domain';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FailedAuthLimiter } from '../auth/failed-auth-limiter';

const STATUS: Record<ErrorCategory, number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  concurrency: 409,
  not_ready: 503,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

const TITLE: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** Framework and parser errors that are the client's fault, with our stable codes. */
function fromFrameworkError(error: { statusCode?: number; code?: string; message?: string }): Problem | null {
  const status = error.statusCode;
  if (!status || status < 400 || status >= 500) return null;
  // Nest re-wraps Fastify's errors keeping only message and status, so the status decides.
  const code =
    status === 413
      ? 'REQUEST.BODY_TOO_LARGE'
      : status === 415
        ? 'REQUEST.UNSUPPORTED_MEDIA_TYPE'
        : status === 404
          ? 'ROUTE.NOT_FOUND'
          : status === 405
            ? 'ROUTE.METHOD_NOT_ALLOWED'
            : 'REQUEST.INVALID';
  return problem(status, code, error.message ?? TITLE[status] ?? 'invalid request');
}

function problem(status: number, code: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  return {
    type: `https://gatehouse.dev/problems/${code.toLowerCase().replace(/[._]/g, '-')}`,
    title: TITLE[status] ?? 'Error',
    status,
    code,
    detail,
    ...extra,
  };
}

export function toProblem(error: unknown): Problem {
  if (error instanceof DomainError) {
    return problem(STATUS[error.category], error.code, error.message, error.details ?? {});
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return fromFrameworkError({ statusCode: status, message: error.message }) ?? problem(500, 'INTERNAL', 'internal error');
  }
  const framework = fromFrameworkError(error as { statusCode?: number; code?: string; message?: string });
  return framework ?? problem(500, 'INTERNAL', 'internal error: the incident was logged');
}

const logger = new Logger('HTTP');
/** When a dependency-down warning was last logged: once per interval, not once per refused request. */
let lastUnavailableLog = 0;
const UNAVAILABLE_LOG_INTERVAL_MS = 10_000;

/**
 * The single place where errors become HTTP answers (RFC 9457 problem+json): the
 * exception filter below, and the hot path's plain Fastify routes (check.controller.ts).
 * Clients branch on `code`; `detail` is for people.
 */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const body = toProblem(error);
  body.instance = request.url.split('?')[0];
  if (body.status >= 500 && !(error instanceof DomainError)) {
    logger.error(`${request.method} ${body.instance}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } else if (error instanceof DomainError && error.category === 'unavailable' && Date.now() - lastUnavailableLog >= UNAVAILABLE_LOG_INTERVAL_MS) {
    lastUnavailableLog = Date.now();
    logger.warn(`${request.method} ${body.instance}: ${error.code}: ${error.message} (further ones for ${UNAVAILABLE_LOG_INTERVAL_MS / 1000} s not logged)`);
  }
  if (body.status === 503) void reply.header('Retry-After', '1');
  if (body.status === 429) void reply.header('Retry-After', '60');
  if (body.status === 401) void reply.header('WWW-Authenticate', 'Bearer');
  void reply.status(body.status).header('Content-Type', 'application/problem+json').send(body);
}

/**
 * Every error of a Nest route, as a problem. Failed authentications (a bad key from the
 * guard, a wrong invitation token from a public route) count toward the per-address
 * limit here, in the one place all of them pass: past it they answer 429.
 */
@Catch()
@Injectable()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly limiter: FailedAuthLimiter) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    sendProblem(this.limiter.refusal(error, request.ip), request, http.getResponse<FastifyReply>());
  }
}
