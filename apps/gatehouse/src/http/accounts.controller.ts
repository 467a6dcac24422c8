import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CreateAccountCommand, CreateAccountResult } from '../commands/create-account';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { requestContext } from './request-context';
import { validateBody } from './validation';

@Controller('v1/accounts')
export class AccountsController {
  constructor(private readonly commands: CommandBus) {}

  /** Platform root key only (enforced in the decider). */
  @Post()
  @HttpCode(201)
  async create(@Req() req: AuthenticatedRequest, @Body() body: unknown) {
    const input = validateBody<{ id: string; preset: string; admins: string[]; defaultRole?: string; defaultTeam?: string }>('CreateAccountRequest', body);
    const result = await this.commands.execute<CreateAccountCommand, CreateAccountResult>(
      new CreateAccountCommand(input, requestContext(req, input.id, input)),
    );
    return { ...result, revision: String(result.revision) };
  }
}
