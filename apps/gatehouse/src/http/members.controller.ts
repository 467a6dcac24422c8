import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { LoginMethod } from '@gatehouse/domain';
import { RecordLoginCommand } from '../commands/provision-user';
import { IdentityQueries } from '../queries/identity.queries';
import { CommandBus } from '@nestjs/cqrs';
import { ROLE_PATTERN, USER_ID_PATTERN } from '@gatehouse/contracts';
import { Public } from '../auth/auth.guard';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { AcceptInvitationCommand } from '../commands/accept-invitation';
import { AccountCommandResult, ExecuteAccountCommand, SimpleAccountCommand } from '../commands/account-command';
import { InviteUserCommand, InviteUserResult } from '../commands/invite-user';
import { memberView } from '../commands/member-view';
import { AccountQueries } from '../queries/account.queries';
import { requestContext } from './request-context';
import { validateBody, validateParam } from './validation';

const withRevision = <T extends { revision: bigint }>(r: T) => ({ ...r, revision: String(r.revision) });

@Controller('v1/accounts/:account')
export class MembersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: AccountQueries,
    private readonly identity: IdentityQueries,
  ) {}

  @Post('users')
  @HttpCode(201)
  async invite(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Body() body: unknown) {
    const input = validateBody<{ email: string; roles?: string[] }>('InviteUserRequest', body);
    const result = await this.commands.execute<InviteUserCommand, InviteUserResult>(
      new InviteUserCommand(account, { email: input.email, roles: input.roles ?? [] }, requestContext(req, account, input)),
    );
    const { replayed: _replayed, ...rest } = result;
    return withRevision(rest);
  }

  @Get('users')
  async list(@Req() req: AuthenticatedRequest, @Param('account') account: string) {
    return withRevision(await this.queries.members(account, req.actor!));
  }

  @Get('users/:userId')
  async get(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('userId') userId: string) {
    validateParam('userId', userId, USER_ID_PATTERN);
    return withRevision(await this.queries.member(account, userId, req.actor!));
  }

  @Post('users/:userId/roles')
  @HttpCode(200)
  async assignRole(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('userId') userId: string, @Body() body: unknown) {
    validateParam('userId', userId, USER_ID_PATTERN);
    const { role } = validateBody<{ role: string }>('AssignRoleRequest', body);
    return this.member(req, account, userId, { type: 'AssignRole', userId, role }, { role });
  }

  @Delete('users/:userId/roles/:role')
  async unassignRole(
    @Req() req: AuthenticatedRequest,
    @Param('account') account: string,
    @Param('userId') userId: string,
    @Param('role') role: string,
  ) {
    validateParam('userId', userId, USER_ID_PATTERN);
    validateParam('role', role, ROLE_PATTERN);
    return this.member(req, account, userId, { type: 'UnassignRole', userId, role }, null);
  }

  @Delete('users/:userId')
  async remove(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('userId') userId: string) {
    validateParam('userId', userId, USER_ID_PATTERN);
    return this.member(req, account, userId, { type: 'RemoveUser', userId }, null);
  }

  /** Runs a membership command and answers with the member as it is afterwards. */
  private async member(req: AuthenticatedRequest, account: string, userId: string, command: SimpleAccountCommand, payload: unknown) {
    const result = await this.commands.execute<ExecuteAccountCommand, AccountCommandResult>(
      new ExecuteAccountCommand(account, command, requestContext(req, account, payload)),
    );
    return { ...memberView(result.state, userId)!, revision: String(result.revision) };
  }

  @Post('users/:userId/deactivate')
  @HttpCode(200)
  deactivate(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('userId') userId: string) {
    validateParam('userId', userId, USER_ID_PATTERN);
    return this.member(req, account, userId, { type: 'DeactivateUser', userId }, null);
  }

  @Post('users/:userId/reactivate')
  @HttpCode(200)
  reactivate(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('userId') userId: string) {
    validateParam('userId', userId, USER_ID_PATTERN);
    return this.member(req, account, userId, { type: 'ReactivateUser', userId }, null);
  }

  @Patch('users/:userId')
  updateProfile(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('userId') userId: string, @Body() body: unknown) {
    validateParam('userId', userId, USER_ID_PATTERN);
    const { displayName } = validateBody<{ displayName: string }>('UpdateProfileRequest', body);
    return this.member(req, account, userId, { type: 'UpdateUserProfile', userId, displayName }, { displayName });
  }

  @Post('users/:userId/logins')
  @HttpCode(201)
  async recordLogin(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('userId') userId: string, @Body() body: unknown) {
    validateParam('userId', userId, USER_ID_PATTERN);
    const input = validateBody<{ method: LoginMethod; sourceAddress?: string; userAgent?: string }>('RecordLoginRequest', body);
    const result = await this.commands.execute<RecordLoginCommand, { revision: bigint; login: unknown }>(
      new RecordLoginCommand(account, userId, input, requestContext(req, account, input)),
    );
    return { ...(result.login as object), revision: String(result.revision) };
  }

  @Get('users/:userId/logins')
  logins(
    @Req() req: AuthenticatedRequest,
    @Param('account') account: string,
    @Param('userId') userId: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ) {
    validateParam('userId', userId, USER_ID_PATTERN);
    if (limit !== undefined) validateParam('limit', limit, '^(?:[1-9][0-9]{0,2}|1000)$');
    return this.identity.logins(account, userId, req.actor!, limit ? Number(limit) : 50, cursor);
  }

  /** The invitation token is the credential: no API key needed. */
  @Public()
  @Post('invitations/accept')
  @HttpCode(200)
  async accept(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Body() body: unknown) {
    const { token } = validateBody<{ token: string }>('AcceptInvitationRequest', body);
    const result = await this.commands.execute<AcceptInvitationCommand, { id: string; status: string; revision: bigint }>(
      new AcceptInvitationCommand(account, token, requestContext(req, account, null)),
    );
    return withRevision(result);
  }
}
