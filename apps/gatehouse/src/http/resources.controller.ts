import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import { accountStream, DomainError, errors, resourceStream } from '@gatehouse/domain';
import { accountFold } from '../commands/folds';
import { RESOURCE_ID_PARAM_PATTERN, RESOURCE_TYPE_PARAM_PATTERN } from '@gatehouse/contracts';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { CommandRunner } from '../commands/command-runner';
import { ExecuteResourceCommand, resourceFold, ResourceCommandResult } from '../commands/resources';
import { LookupResourcesInput, LookupService, LookupSubjectsInput } from '../lookup/lookup.service';
import { requestContext } from './request-context';
import { validateBody, validateParam } from './validation';

interface PutBody {
  owner?: string;
  team?: string;
  tags?: Record<string, string[]>;
}

/** The resource registry (issue 5): register, update, transfer, delete; and the two lookups. */
@Controller('v1/accounts/:account')
export class ResourcesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly runner: CommandRunner,
    private readonly lookups: LookupService,
  ) {}

  /** Any authenticated caller of the account may read a registration (as any may check). */
  @Get('resources/:type/:id')
  async get(@Param('account') account: string, @Param('type') type: string, @Param('id') id: string) {
    params(type, id);
    const { state, lastPosition } = await this.runner.load(resourceStream(account, type, id), resourceFold);
    if (state.status !== 'registered') {
      const { state: accountState } = await this.runner.load(accountStream(account), accountFold);
      if (accountState.status === 'none') throw errors.notFound('ACCOUNT.NOT_FOUND', 'the account does not exist');
      throw errors.notFound('RESOURCE.NOT_FOUND', `resource ${type}/${id} is not registered in this account`, { resourceType: type, resourceId: id });
    }
    return { ...state.record, revision: lastPosition.toString() };
  }

  @Put('resources/:type/:id')
  async put(
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('account') account: string,
    @Param('type') type: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    params(type, id);
    const input = validateBody<PutBody>('PutResourceRequest', body);
    const result = await this.execute(account, req, input, {
      type: 'PutResource',
      resource: { type, id, ...(input.owner !== undefined ? { owner: input.owner } : {}), ...(input.team !== undefined ? { team: input.team } : {}), tags: input.tags ?? {} },
    });
    if (result.outcome === 'registered') void reply.status(201);
    return present(result);
  }

  @Post('resources/:type/:id/transfer')
  @HttpCode(200)
  async transfer(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('type') type: string, @Param('id') id: string, @Body() body: unknown) {
    params(type, id);
    const input = validateBody<{ owner: string; team?: string | null }>('TransferResourceRequest', body);
    return present(
      await this.execute(account, req, input, {
        type: 'TransferResource',
        resourceType: type,
        resourceId: id,
        owner: input.owner,
        ...(input.team !== undefined ? { team: input.team } : {}),
      }),
    );
  }

  @Delete('resources/:type/:id')
  async delete(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('type') type: string, @Param('id') id: string) {
    params(type, id);
    const result = await this.execute(account, req, null, { type: 'DeleteResource', resourceType: type, resourceId: id });
    return { type, id, deleted: true, revision: result.revision.toString() };
  }

  /** Any authenticated caller of the account may ask, as for checks. */
  @Post('lookup/resources')
  @HttpCode(200)
  lookupResources(@Param('account') account: string, @Body() body: unknown) {
    return this.lookups.lookupResources(account, validateBody<LookupResourcesInput>('LookupResourcesRequest', body));
  }

  @Post('lookup/subjects')
  @HttpCode(200)
  lookupSubjects(@Param('account') account: string, @Body() body: unknown) {
    return this.lookups.lookupSubjects(account, validateBody<LookupSubjectsInput>('LookupSubjectsRequest', body));
  }

  private execute(account: string, req: AuthenticatedRequest, payload: unknown, command: ExecuteResourceCommand['command']) {
    return this.commands.execute<ExecuteResourceCommand, ResourceCommandResult>(new ExecuteResourceCommand(account, command, requestContext(req, account, payload)));
  }
}

function params(type: string, id: string): void {
  validateParam('type', type, RESOURCE_TYPE_PARAM_PATTERN);
  validateParam('id', id, RESOURCE_ID_PARAM_PATTERN);
}

function present(result: ResourceCommandResult) {
  if (!result.resource) throw new DomainError('RESOURCE.NOT_FOUND', 'not_found', 'the resource is not registered');
  return { ...result.resource, revision: result.revision.toString() };
}
