import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Actor } from '@gatehouse/domain';
import type { FastifyRequest } from 'fastify';
import { validateParam } from '../http/validation';
import { ID_PATTERN } from '@gatehouse/contracts';
import { Authenticator } from './authenticator';

const PUBLIC = 'gatehouse:public';
/** Marks a route that needs no API key (health, docs, accepting an invitation with its token). */
export const Public = () => SetMetadata(PUBLIC, true);

export type AuthenticatedRequest = FastifyRequest & {
  actor?: Actor;
  /** For routes outside any account: the account of the key that authenticated. */
  actorAccount?: string;
};

/** Authenticates every route unless marked @Public(); the account comes from the path. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC, [context.getHandler(), context.getClass()]);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const params = request.params as Record<string, string> | undefined;
    const account = params?.account !== undefined ? validateParam('account', params.account, ID_PATTERN) : null;
    if (isPublic) {
      request.actor = { kind: 'anonymous' };
      return true;
    }
    // A failure counts toward the per-address limit in ProblemFilter, where every route's errors pass.
    const { home, ...actor } = await this.authenticator.authenticate(request.headers.authorization, account);
    request.actor = actor as Actor;
    if (home) request.actorAccount = home;
    return true;
  }
}
