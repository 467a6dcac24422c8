import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CheckInput, CheckService } from '../check/check.service';
import { validateBody } from './validation';

@Controller('v1/accounts/:account')
export class CheckController {
  constructor(private readonly checks: CheckService) {}

  /** DESIGN §4. Any authenticated caller of the account may ask; the answer says which revision it saw. */
  @Post('check')
  @HttpCode(200)
  check(@Param('account') account: string, @Body() body: unknown) {
    return this.checks.check(account, validateBody<CheckInput>('CheckRequest', body));
  }
}
