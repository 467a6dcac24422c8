import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { AccessScopes, Catalog, Grant, RoleDefinition } from '@gatehouse/domain';
import { ROLE_PATTERN, TEAM_PATTERN, USER_ID_PATTERN } from '@gatehouse/contracts';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { AccountCommandResult, ExecuteAccountCommand, SimpleAccountCommand } from '../commands/account-command';
import { memberView } from '../commands/member-view';
import { AccountQueries } from '../queries/account.queries';
import { requestContext } from './request-context';
import { validateBody, validateParam } from './validation';

type GrantBody = { permission: string; condition?: Grant['condition'] };
const grants = (list: GrantBody[] | undefined) => list?.map((g): Grant => ({ permission: g.permission, condition: g.condition ?? 'any' }));
const withRevision = <T extends { revision: bigint }>(r: T) => ({ ...r, revision: String(r.revision) });

/** Roles, the permission catalog, teams and the account's defaults (DESIGN §2). */
@Controller('v1/accounts/:account')
export class AccessModelController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: AccountQueries,
  ) {}

  private execute(req: AuthenticatedRequest, account: string, command: SimpleAccountCommand, payload: unknown) {
    return this.commands.execute<ExecuteAccountCommand, AccountCommandResult>(
      new ExecuteAccountCommand(account, command, requestContext(req, account, payload)),
    );
  }

  private async role(req: AuthenticatedRequest, account: string, command: SimpleAccountCommand, name: string, payload: unknown) {
    const result = await this.execute(req, account, command, payload);
    const role = result.state.status === 'none' ? undefined : result.state.roles.get(name);
    return role ? { ...role, revision: String(result.revision) } : { name, deleted: true, revision: String(result.revision) };
  }

  @Get('roles')
  async listRoles(@Req() req: AuthenticatedRequest, @Param('account') account: string) {
    return withRevision(await this.queries.roles(account, req.actor!));
  }

  @Get('roles/:role')
  async getRole(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('role') name: string) {
    validateParam('role', name, ROLE_PATTERN);
    return withRevision(await this.queries.role(account, name, req.actor!));
  }

  @Post('roles')
  @HttpCode(201)
  createRole(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Body() body: unknown) {
    const input = validateBody<{ name: string; description: string; grants: GrantBody[]; scopes: AccessScopes }>('CreateRoleRequest', body);
    return this.role(
      req,
      account,
      { type: 'CreateRole', name: input.name, description: input.description, grants: grants(input.grants)!, scopes: input.scopes },
      input.name,
      input,
    );
  }

  @Put('roles/:role')
  updateRole(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('role') name: string, @Body() body: unknown) {
    validateParam('role', name, ROLE_PATTERN);
    const input = validateBody<Partial<Pick<RoleDefinition, 'description' | 'scopes'>> & { grants?: GrantBody[] }>('UpdateRoleRequest', body);
    return this.role(req, account, { type: 'UpdateRole', name, description: input.description, grants: grants(input.grants), scopes: input.scopes }, name, input);
  }

  @Delete('roles/:role')
  deleteRole(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('role') name: string) {
    validateParam('role', name, ROLE_PATTERN);
    return this.role(req, account, { type: 'DeleteRole', name }, name, null);
  }

  @Get('catalog')
  async catalog(@Req() req: AuthenticatedRequest, @Param('account') account: string) {
    return withRevision(await this.queries.catalog(account, req.actor!));
  }

  @Post('catalog')
  @HttpCode(200)
  async extendCatalog(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Body() body: unknown) {
    const input = validateBody<Catalog>('ExtendCatalogRequest', body);
    const result = await this.execute(req, account, { type: 'ExtendCatalog', ...input }, input);
    return withRevision(await this.queries.catalog(account, req.actor!).then((c) => ({ ...c, revision: result.revision })));
  }

  @Put('defaults')
  async changeDefaults(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Body() body: unknown) {
    const input = validateBody<{ defaultRole: string; defaultTeam?: string | null }>('ChangeDefaultsRequest', body);
    const result = await this.execute(req, account, { type: 'ChangeAccountDefaults', ...input }, input);
    const model = result.state.status === 'none' ? undefined : result.state.model;
    return { defaultRole: model?.defaultRole, defaultTeam: model?.defaultTeam ?? null, revision: String(result.revision) };
  }

  @Get('teams')
  async teams(@Req() req: AuthenticatedRequest, @Param('account') account: string) {
    return withRevision(await this.queries.teams(account, req.actor!));
  }

  @Post('teams')
  @HttpCode(201)
  async createTeam(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Body() body: unknown) {
    const { name } = validateBody<{ name: string }>('CreateTeamRequest', body);
    const result = await this.execute(req, account, { type: 'CreateTeam', team: name }, { name });
    return { name, revision: String(result.revision) };
  }

  @Delete('teams/:team')
  async deleteTeam(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('team') team: string) {
    validateParam('team', team, TEAM_PATTERN);
    const result = await this.execute(req, account, { type: 'DeleteTeam', team }, null);
    return { name: team, deleted: true, revision: String(result.revision) };
  }

  @Put('teams/:team/members/:userId')
  addTeamMember(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('team') team: string, @Param('userId') userId: string) {
    return this.teamMember(req, account, team, userId, 'AddTeamMember');
  }

  @Delete('teams/:team/members/:userId')
  removeTeamMember(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('team') team: string, @Param('userId') userId: string) {
    return this.teamMember(req, account, team, userId, 'RemoveTeamMember');
  }

  private async teamMember(req: AuthenticatedRequest, account: string, team: string, userId: string, type: 'AddTeamMember' | 'RemoveTeamMember') {
    validateParam('team', team, TEAM_PATTERN);
    validateParam('userId', userId, USER_ID_PATTERN);
    const result = await this.execute(req, account, { type, team, userId }, null);
    return { ...memberView(result.state, userId)!, revision: String(result.revision) };
  }
}
