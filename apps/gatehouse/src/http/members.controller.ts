import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ROLE_PATTERN, USER_ID_PATTERN } from '@gatehouse/contracts';
import { Public } from '../auth/auth.guard';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { AcceptInvitationCommand } from '../commands/accept-invitation';
import { AssignRoleCommand, MemberResult, UnassignRoleCommand } from '../commands/change-roles';
import { InviteUserCommand, InviteUserResult } from '../commands/invite-user';
import { RemoveUserCommand } from '../commands/remove-user';
import { MembersQuery } from '../queries/members.query';
import { requestContext } from './request-context';
import { validateBody, validateParam } from './validation';

const withRevision = <T extends { revision: bigint }>(r: T) => ({ ...r, revision: String(r.revision) });

@Controller('v1/accounts/:account')
export class MembersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly members: MembersQuery,
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
    return withRevision(await this.members.list(account, req.actor!));
  }

  @Get('users/:userId')
  async get(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('userId') userId: string) {
    validateParam('userId', userId, USER_ID_PATTERN);
    return withRevision(await this.members.get(account, userId, req.actor!));
  }

  @Post('users/:userId/roles')
  async assignRole(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('userId') userId: string, @Body() body: unknown) {
    validateParam('userId', userId, USER_ID_PATTERN);
    const { role } = validateBody<{ role: string }>('AssignRoleRequest', body);
    const result = await this.commands.execute<AssignRoleCommand, MemberResult>(
      new AssignRoleCommand(account, userId, role, requestContext(req, account, { role })),
    );
    return withRevision(result);
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
    const result = await this.commands.execute<UnassignRoleCommand, MemberResult>(
      new UnassignRoleCommand(account, userId, role, requestContext(req, account, null)),
    );
    return withRevision(result);
  }

  @Delete('users/:userId')
  async remove(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('userId') userId: string) {
    validateParam('userId', userId, USER_ID_PATTERN);
    const result = await this.commands.execute<RemoveUserCommand, { id: string; status: string; revision: bigint }>(
      new RemoveUserCommand(account, userId, requestContext(req, account, null)),
    );
    return withRevision(result);
  }

  /** The invitation token is the credential: no API key needed. */
  @Public()
  @Post('invitations/accept')
  async accept(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Body() body: unknown) {
    const { token } = validateBody<{ token: string }>('AcceptInvitationRequest', body);
    const result = await this.commands.execute<AcceptInvitationCommand, { id: string; status: string; revision: bigint }>(
      new AcceptInvitationCommand(account, token, requestContext(req, account, null)),
    );
    return withRevision(result);
  }
}
