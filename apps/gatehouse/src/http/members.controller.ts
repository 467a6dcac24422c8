import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
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
