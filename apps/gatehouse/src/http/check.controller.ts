import { Controller, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ID_PATTERN, schemas } from '@gatehouse/contracts';
import { DomainError, isDomainError } from '@gatehouse/domain';
import { Authenticator } from '../auth/authenticator';
import { FailedAuthLimiter } from '../auth/failed-auth-limiter';
import { assertBulkSize, BulkCheckItem, CheckInput, CheckOptions, CheckService } from '../check/check.service';
import { sendProblem, toProblem } from './problem.filter';
import { validateBody, validateParam } from './validation';

type CheckRequest = FastifyRequest<{ Params: { account: string } }>;
/** The answer, or a promise of it (a single check is answered synchronously when it can be: CheckService.answer). */
type Handle = (this: CheckController, account: string, body: unknown, options: CheckOptions) => unknown;

/** The options of a check whose caller presented no API key (shared: CheckService only reads them). */
const NO_OPTIONS: CheckOptions = Object.freeze({});

/**
 * POST /v1/accounts/{account}/check and /checks (DESIGN §4): any authenticated caller of
 * the account may ask; the answer says which revision it saw.
 *
 * The hot path is served as plain Fastify routes, as the gRPC server is (grpc-server.ts),
 * not through Nest's router: its per-request guard, parameter pipes, interceptor chain
 * and exception zone cost more than a check does. Nothing else changes: the same JSON
 * schemas validate the bodies, errors become the same problem+json (`sendProblem`, the
 * ProblemFilter's own), failed authentications count toward the same rate limit, and
 * the routes stay in the OpenAPI document. What the plain route gains besides speed:
 * the caller's key is read in the same cache round trip as the check's subjects.
 *
 * Per request, the route allocates no handler closure and no async frame of its own,
 * and hands Fastify no promise (a handler that returns one makes Fastify chain a
 * `reply.then` on it); a check the in-process cache can answer at once is sent without
 * any promise at all (CheckService.answer); the single check's 200 answer is written by a serializer
 * compiled from the published CheckResponse schema rather than by JSON.stringify.
 */
@Controller()
export class CheckController implements OnModuleInit {
  private readonly logger = new Logger('HTTP');
  private readonly accountPattern = new RegExp(ID_PATTERN);

  constructor(
    private readonly checks: CheckService,
    private readonly authenticator: Authenticator,
    private readonly limiter: FailedAuthLimiter,
    private readonly adapter: HttpAdapterHost,
  ) {}

  // Runs during app.init(), before Fastify is ready: routes can still be added, and the
  // app's onRoute hook records them for the OpenAPI test like any other.
  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter.getInstance<FastifyInstance>();
    const check: Handle = this.check;
    const checkBulk: Handle = this.checkBulk;
    // A copy: Fastify may annotate the schemas it compiles, and the contract's object also feeds the OpenAPI document.
    const response = { 200: structuredClone(schemas.CheckResponse) };
    fastify.post('/v1/accounts/:account/check', { schema: { response } }, (request: CheckRequest, reply) => this.serve(request, reply, check));
    fastify.post('/v1/accounts/:account/checks', (request: CheckRequest, reply) => this.serve(request, reply, checkBulk));
  }

  /** Answers through `reply` (callback style: Fastify waits for the send); every error becomes a problem. */
  private serve(request: CheckRequest, reply: FastifyReply, handle: Handle): void {
    let answer: unknown;
    try {
      const account = request.params.account;
      if (!this.accountPattern.test(account)) validateParam('account', account, ID_PATTERN);
      const credential = this.authenticator.credential(request.headers.authorization);
      // A key is verified by CheckService, from the same cache read as the check.
      answer = handle.call(this, account, request.body, credential.kind === 'key' ? { caller: credential } : NO_OPTIONS);
    } catch (error) {
      return this.fail(error, request, reply);
    }
    if (answer instanceof Promise) {
      answer.then(
        (body) => this.send(body, request, reply),
        (error: unknown) => this.fail(error, request, reply),
      );
    } else this.send(answer, request, reply);
  }

  private send(body: unknown, request: CheckRequest, reply: FastifyReply): void {
    try {
      void reply.send(body);
    } catch (error) {
      this.fail(error, request, reply);
    }
  }

  private fail(error: unknown, request: CheckRequest, reply: FastifyReply): void {
    try {
      sendProblem(this.limiter.refusal(error, request.ip), request, reply);
    } catch (unexpected) {
      // Never an unhandled rejection: Fastify's own error handler answers 500.
      void reply.send(unexpected);
    }
  }

  private check(account: string, body: unknown, options: CheckOptions) {
    return this.checks.answer(account, validateBody<CheckInput>('CheckRequest', body), options);
  }

  /** Up to 1,000 checks; a malformed item gets its own problem in `results`, the rest are still answered. */
  private async checkBulk(account: string, body: unknown, options: CheckOptions) {
    const checks = (body as { checks?: unknown } | null | undefined)?.checks;
    if (Array.isArray(checks)) assertBulkSize(checks.length); // before validating 100,000 items one by one
    const input = validateBody<{ checks: unknown[]; consistency?: CheckInput['consistency'] }>('CheckBulkRequest', body);
    const items = input.checks.map((item): BulkCheckItem | DomainError => {
      try {
        return validateBody<BulkCheckItem>('CheckBulkItem', item);
      } catch (error) {
        if (isDomainError(error)) return error;
        throw error;
      }
    });
    const { results, revision } = await this.checks.checkBulk(account, items, input.consistency, options);
    return {
      results: results.map((r) => {
        if ('answer' in r) return r.answer;
        if (!isDomainError(r.error)) this.logger.error(`POST /v1/accounts/${account}/checks item: ${r.error instanceof Error ? (r.error.stack ?? r.error.message) : String(r.error)}`);
        return { error: toProblem(r.error) };
      }),
      revision,
    };
  }
}
