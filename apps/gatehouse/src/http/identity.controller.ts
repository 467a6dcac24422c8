import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Grant } from '@gatehouse/domain';
import { ROLE_PATTERN, SERVICE_ACCOUNT_ID_PATTERN, USER_ID_PATTERN } from '@gatehouse/contracts';
import { Public } from '../auth/auth.guard';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { AccountCommandResult, ExecuteAccountCommand } from '../commands/account-command';
import { ApiKeyResult, CreateApiKeyCommand } from '../commands/api-keys';
import { CreateInviteLinkCommand, JoinViaInviteLinkCommand } from '../commands/invite-links';
import { ProvisionUserCommand } from '../commands/provision-user';
import { CreateServiceAccountCommand } from '../commands/service-accounts';
import { Config } from '../config/config';
import { IdentityQueries } from '../queries/identity.queries';
import { CONFIG } from '../tokens';
import { requestContext } from './request-context';
import { validateBody, validateParam } from './validation';

const withRevision = <T extends { revision: bigint }>(r: T) => ({ ...r, revision: String(r.revision) });

/** Who gets in and how (DESIGN §2, issue 4): SSO provisioning, invite links, service accounts, key listings, introspection. */
@Controller()
export class IdentityController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: IdentityQueries,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** A trusted identity provider's integration reports a login: the first one creates the member. */
  @Post('v1/accounts/:account/sso/login')
  @HttpCode(200)
  async ssoLogin(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Body() body: unknown) {
    const input = validateBody<{ email: string; sourceAddress?: string; userAgent?: string }>('ProvisionUserRequest', body);
    return withRevision(await this.commands.execute(new ProvisionUserCommand(account, input, requestContext(req, account, input))));
  }

  @Post('v1/accounts/:account/invite-links')
  @HttpCode(201)
  async createLink(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Body() body: unknown) {
    const input = validateBody<{ roles?: string[]; expiresAt?: string; maxUses?: number }>('CreateInviteLinkRequest', body ?? {});
    const expiresAt = input.expiresAt ? new Date(input.expiresAt) : new Date(Date.now() + this.config.invitationTtlHours * 3600_000);
    return withRevision(
      await this.commands.execute(
        new CreateInviteLinkCommand(account, { roles: input.roles ?? [], expiresAt, maxUses: input.maxUses }, requestContext(req, account, input)),
      ),
    );
  }

  @Get('v1/accounts/:account/invite-links')
  async listLinks(@Req() req: AuthenticatedRequest, @Param('account') account: string) {
    return withRevision(await this.queries.inviteLinks(account, req.actor!));
  }

  @Delete('v1/accounts/:account/invite-links/:linkId')
  async revokeLink(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('linkId') linkId: string) {
    validateParam('linkId', linkId, '^[a-z2-7]{8,64}$');
    const result = await this.commands.execute<ExecuteAccountCommand, AccountCommandResult>(
      new ExecuteAccountCommand(account, { type: 'RevokeInviteLink', linkId }, requestContext(req, account, null)),
    );
    return { id: linkId, revoked: true, revision: String(result.revision) };
  }

  /** The link token is the credential: no API key needed. */
  @Public()
  @Post('v1/accounts/:account/invite-links/join')
  @HttpCode(201)
  async join(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Body() body: unknown) {
    const input = validateBody<{ token: string; email: string }>('JoinInviteLinkRequest', body);
    // The command id is the link and email: joining twice with the same email answers the first result.
    const request = { ...requestContext(req, account, null), commandId: `join:${input.token.split('_')[1] ?? ''}:${input.email.toLowerCase()}` };
    return withRevision(await this.commands.execute(new JoinViaInviteLinkCommand(account, input, request)));
  }

  @Post('v1/accounts/:account/service-accounts')
  @HttpCode(201)
  async createServiceAccount(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Body() body: unknown) {
    const input = validateBody<{ name: string; roles: string[] }>('CreateServiceAccountRequest', body);
    return withRevision(await this.commands.execute(new CreateServiceAccountCommand(account, input, requestContext(req, account, input))));
  }

  @Get('v1/accounts/:account/service-accounts')
  async listServiceAccounts(@Req() req: AuthenticatedRequest, @Param('account') account: string) {
    return withRevision(await this.queries.serviceAccounts(account, req.actor!));
  }

  @Delete('v1/accounts/:account/service-accounts/:id')
  async deleteServiceAccount(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('id') id: string) {
    validateParam('id', id, SERVICE_ACCOUNT_ID_PATTERN);
    const result = await this.commands.execute<ExecuteAccountCommand, AccountCommandResult>(
      new ExecuteAccountCommand(account, { type: 'DeleteServiceAccount', serviceAccountId: id }, requestContext(req, account, null)),
    );
    return { id, status: 'removed', revision: String(result.revision) };
  }

  @Post('v1/accounts/:account/service-accounts/:id/roles')
  @HttpCode(200)
  async assignServiceAccountRole(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('id') id: string, @Body() body: unknown) {
    validateParam('id', id, SERVICE_ACCOUNT_ID_PATTERN);
    const { role } = validateBody<{ role: string }>('AssignRoleRequest', body);
    return this.serviceAccountRole(req, account, id, role, 'AssignRole', { role });
  }

  @Delete('v1/accounts/:account/service-accounts/:id/roles/:role')
  async unassignServiceAccountRole(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('id') id: string, @Param('role') role: string) {
    validateParam('id', id, SERVICE_ACCOUNT_ID_PATTERN);
    validateParam('role', role, ROLE_PATTERN);
    return this.serviceAccountRole(req, account, id, role, 'UnassignRole', null);
  }

  private async serviceAccountRole(req: AuthenticatedRequest, account: string, id: string, role: string, type: 'AssignRole' | 'UnassignRole', payload: unknown) {
    const result = await this.commands.execute<ExecuteAccountCommand, AccountCommandResult>(
      new ExecuteAccountCommand(account, { type, userId: id, role, principalType: 'service_account' }, requestContext(req, account, payload)),
    );
    const member = result.state.status === 'none' ? undefined : result.state.members.get(`service_account:${id}`);
    return { id, type: 'service_account', name: member?.name, status: member?.status, roles: member?.roles ?? [], revision: String(result.revision) };
  }

  /** Service-account keys: only principals allowed to (Fireworks: admins) may mint them. */
  @Post('v1/accounts/:account/service-accounts/:id/api-keys')
  @HttpCode(201)
  async createServiceAccountKey(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('id') id: string, @Body() body: unknown) {
    validateParam('id', id, SERVICE_ACCOUNT_ID_PATTERN);
    const input = validateBody<{ name?: string; expiresAt?: string; restriction?: { permission: string; condition?: Grant['condition'] }[] }>('CreateApiKeyRequest', body ?? {});
    const result = await this.commands.execute<CreateApiKeyCommand, ApiKeyResult>(
      new CreateApiKeyCommand(
        account,
        {
          owner: { type: 'service_account', id },
          name: input.name,
          expiresAt: input.expiresAt ? new Date(input.expiresAt) : undefined,
          restriction: input.restriction?.map((g) => ({ permission: g.permission, condition: g.condition ?? 'any' })),
        },
        requestContext(req, account, input),
      ),
    );
    const { replayed: _replayed, ...rest } = result;
    return withRevision(rest);
  }

  @Get('v1/accounts/:account/api-keys')
  async listKeys(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Query('owner') owner?: string) {
    if (owner !== undefined) validateParam('owner', owner, `${USER_ID_PATTERN}|${SERVICE_ACCOUNT_ID_PATTERN}`);
    return withRevision(await this.queries.apiKeys(account, req.actor!, owner));
  }

  /** Predibase: deleting the account ends every access in it, in one event. */
  @Delete('v1/accounts/:account')
  async deleteAccount(@Req() req: AuthenticatedRequest, @Param('account') account: string) {
    const result = await this.commands.execute<ExecuteAccountCommand, AccountCommandResult>(
      new ExecuteAccountCommand(account, { type: 'DeleteAccount' }, requestContext(req, account, null)),
    );
    return { id: account, status: 'deleted', revision: String(result.revision) };
  }

  @Get('v1/me/accounts')
  myAccounts(@Req() req: AuthenticatedRequest) {
    return this.queries.myAccounts(req.actor!);
  }

  @Post('v1/introspect')
  @HttpCode(200)
  introspect(@Req() req: AuthenticatedRequest, @Body() body: unknown) {
    const { apiKey } = validateBody<{ apiKey: string }>('IntrospectRequest', body);
    return this.queries.introspect(apiKey, req.actor!, req.actorAccount);
  }
}
