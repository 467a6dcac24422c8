import { Body, Controller, HttpCode, Logger, Param, Post } from '@nestjs/common';
import { DomainError, isDomainError } from '@gatehouse/domain';
import { assertBulkSize, BulkCheckItem, CheckInput, CheckService } from '../check/check.service';
import { toProblem } from './problem.filter';
import { validateBody } from './validation';

@Controller('v1/accounts/:account')
export class CheckController {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly checks: CheckService) {}

  /** DESIGN §4. Any authenticated caller of the account may ask; the answer says which revision it saw. */
  @Post('check')
  @HttpCode(200)
  check(@Param('account') account: string, @Body() body: unknown) {
    return this.checks.check(account, validateBody<CheckInput>('CheckRequest', body));
  }

  /** Up to 1,000 checks; a malformed item gets its own problem in `results`, the rest are still answered. */
  @Post('checks')
  @HttpCode(200)
  async checkBulk(@Param('account') account: string, @Body() body: unknown) {
    const checks = (body as { checks?: unknown } | null | undefined)?.checks;
    if (Array.isArray(checks)) assertBulkSize(checks.length); // before validating 100,000 items one by one
    const input = validateBody<{ checks: unknown[]; consistency?: CheckInput['consistency'] }>('CheckBulkRequest', body);
    const items = input.checks.map((item): BulkCheckItem | DomainError => {
      try {
        return validateBody<BulkCheckItem>('CheckBulkItem', item);
      } catch (error) {
        if (isDomainError(error)) return error;
        throw error;
      }
    });
    const { results, revision } = await this.checks.checkBulk(account, items, input.consistency);
    return {
      results: results.map((r) => {
        if ('answer' in r) return r.answer;
        const problem = toProblem(r.error);
        if (!isDomainError(r.error)) this.logger.error(`POST /v1/accounts/${account}/checks item: ${r.error instanceof Error ? (r.error.stack ?? r.error.message) : String(r.error)}`);
        return { error: problem };
      }),
      revision,
    };
  }
}
