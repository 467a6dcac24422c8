import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { DomainError, PrincipalRef, ResourceAttributes } from '@gatehouse/domain';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { AuditFilter, AuditService, CSV_COLUMNS, csvRow, parseAsOf, toEntry } from '../audit/audit.service';
import { validateBody, validateParam } from './validation';

type AuditQuery = Record<string, string | undefined>;

function revision(name: string, value: string | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  validateParam(name, value, '^[0-9]{1,20}$');
  return BigInt(value);
}

function time(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new DomainError('REQUEST.INVALID_PARAMETER', 'validation', `query parameter ${name} must be an ISO-8601 time`, { parameter: name });
  return new Date(t);
}

function filterOf(q: AuditQuery): AuditFilter {
  return {
    ...(q.actor ? { actor: q.actor } : {}),
    ...(q.target ? { target: q.target } : {}),
    ...(q.type ? { types: q.type.split(',').filter(Boolean) } : {}),
    from: time('from', q.from),
    to: time('to', q.to),
    fromRevision: revision('fromRevision', q.fromRevision),
    toRevision: revision('toRevision', q.toRevision),
  };
}

/** The audit log (DESIGN §6): query, export, verify, and checks as of the past. Needs the audit.read operation. */
@Controller('v1/accounts/:account/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  async query(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Query() q: AuditQuery) {
    await this.audit.authorize(account, req.actor!);
    const order = q.order ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw new DomainError('REQUEST.INVALID_PARAMETER', 'validation', 'order must be asc or desc', { parameter: 'order' });
    if (q.limit !== undefined) validateParam('limit', q.limit, '^(?:[1-9][0-9]{0,2}|1000)$');
    return this.audit.page(account, filterOf(q), order, q.limit ? Number(q.limit) : 100, revision('cursor', q.cursor));
  }

  /** Streams every matching entry (oldest first) as JSON lines or CSV, in constant memory. */
  @Get('export')
  async export(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Query() q: AuditQuery, @Res() reply: FastifyReply) {
    await this.audit.authorize(account, req.actor!);
    const format = q.format ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'csv') throw new DomainError('REQUEST.INVALID_PARAMETER', 'validation', 'format must be jsonl or csv', { parameter: 'format' });
    const events = this.audit.events(account, filterOf(q));
    async function* lines() {
      if (format === 'csv') yield CSV_COLUMNS.join(',') + '\n';
      for await (const e of events) yield format === 'csv' ? csvRow(toEntry(e)) : JSON.stringify(toEntry(e)) + '\n';
    }
    void reply
      .header('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      .header('Content-Disposition', `attachment; filename="audit-${account}.${format}"`)
      .send(Readable.from(lines()));
  }

  @Get('verify')
  async verify(@Req() req: AuthenticatedRequest, @Param('account') account: string) {
    await this.audit.authorize(account, req.actor!);
    return this.audit.verify(account);
  }

  /** A check answered from history: `asOf` is a revision or an ISO-8601 time. */
  @Post('check')
  @HttpCode(200)
  async checkAsOf(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Body() body: unknown) {
    await this.audit.authorize(account, req.actor!);
    const input = validateBody<{ principal: PrincipalRef | { apiKey: string }; action: string; resource?: ResourceAttributes; asOf: string }>('AsOfCheckRequest', body);
    return this.audit.checkAsOf(account, input.principal, { action: input.action, resource: input.resource }, parseAsOf(input.asOf));
  }

  @Get('principals/:type/:id')
  async effective(@Req() req: AuthenticatedRequest, @Param('account') account: string, @Param('type') type: string, @Param('id') id: string, @Query('asOf') asOf?: string) {
    await this.audit.authorize(account, req.actor!);
    validateParam('type', type, '^(user|service_account)$');
    validateParam('id', id, '^[A-Za-z0-9_-]{1,128}$');
    return this.audit.effectiveAsOf(account, { type: type as PrincipalRef['type'], id }, asOf ? parseAsOf(asOf) : {});
  }
}
