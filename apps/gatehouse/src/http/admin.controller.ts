import { Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { DomainError } from '@gatehouse/domain';
import { EventStore } from '@gatehouse/event-store';
import { PermissionCache } from '@gatehouse/permission-cache';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { ProjectorService } from '../projector/projector.service';
import { EVENT_STORE, PERMISSION_CACHE } from '../tokens';

/** Operator tools for the projection (`gatehouse projection status|rebuild`): platform root key only. */
@Controller('v1/admin/projection')
export class AdminController {
  constructor(
    private readonly projector: ProjectorService,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERMISSION_CACHE) private readonly cache: PermissionCache,
  ) {}

  private rootOnly(req: AuthenticatedRequest): void {
    if (req.actor?.kind !== 'root') {
      throw new DomainError('PERMISSION.DENIED', 'forbidden', 'only the platform root key may manage the projection', { reason: 'ROOT_ONLY' });
    }
  }

  @Get()
  async status(@Req() req: AuthenticatedRequest) {
    this.rootOnly(req);
    const [head, checkpoint] = await Promise.all([this.store.headPosition(), this.cache.checkpoint()]);
    return {
      checkpoint: (checkpoint ?? 0n).toString(),
      head: (head ?? 0n).toString(),
      lag: Number((head ?? 0n) - (checkpoint ?? 0n)),
      running: this.projector.running,
      rebuilding: this.projector.rebuildProgress !== null && !this.projector.rebuildProgress.finishedAt,
      ...(this.projector.rebuildProgress ? { rebuild: this.projector.rebuildProgress } : {}),
    };
  }

  @Post('rebuild')
  @HttpCode(202)
  async rebuild(@Req() req: AuthenticatedRequest) {
    this.rootOnly(req);
    await this.projector.rebuild();
    return { startedAt: this.projector.rebuildProgress?.startedAt, total: this.projector.rebuildProgress?.total };
  }
}
