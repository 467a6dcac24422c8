import { Body, Controller, Delete, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Grant } from '@gatehouse/domain';
import { OPAQUE_ID_PATTERN, USER_ID_PATTERN } from '@gatehouse/contracts';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { ApiKeyResult, CreateApiKeyCommand, RevokeApiKeyCommand } from '../commands/api-keys';
import { requestContext } from './request-context';
import { validateBody, validateParam } from './validation';

interface CreateApiKeyBody {
  name?: string;
  expiresAt?: string;
  restriction?: { permission: string; condition?: Grant['condition'] }[];
}

@Controller('v1/accounts/:account')
export class ApiKeysController {
  constructor(private readonly commands: CommandBus) {}

  /** Creates a key for a user; the secret is in this response only. */
  @Post('users/:userId/api-keys')
  @HttpCode(201)
  async create(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('userId') userId: string, @Body() body: unknown) {
    validateParam('userId', userId, USER_ID_PATTERN);
    const input = validateBody<CreateApiKeyBody>('CreateApiKeyRequest', body ?? {});
    const result = await this.commands.execute<CreateApiKeyCommand, ApiKeyResult>(
      new CreateApiKeyCommand(
        account,
        {
          owner: { type: 'user', id: userId },
          name: input.name,
          expiresAt: input.expiresAt ? new Date(input.expiresAt) : undefined,
          restriction: input.restriction?.map((g) => ({ permission: g.permission, condition: g.condition ?? 'any' })),
        },
        requestContext(req, account, input),
      ),
    );
    const { replayed: _replayed, ...rest } = result;
    return { ...rest, revision: String(result.revision) };
  }

  @Delete('api-keys/:keyId')
  async revoke(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('keyId') keyId: string) {
    validateParam('keyId', keyId, OPAQUE_ID_PATTERN);
    const result = await this.commands.execute<RevokeApiKeyCommand, { id: string; status: string; revision: bigint }>(
      new RevokeApiKeyCommand(account, keyId, requestContext(req, account, null)),
    );
    return { ...result, revision: String(result.revision) };
  }
}
