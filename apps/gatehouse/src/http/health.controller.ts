import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { EventStore } from '@gatehouse/event-store';
import { PermissionCache } from '@gatehouse/permission-cache';
import { AuditService } from '../audit/audit.service';
import { Public } from '../auth/auth.guard';
import { Config } from '../config/config';
import { MessagingMetrics } from '../messaging/messaging-metrics';
import { ProjectorService } from '../projector/projector.service';
import { CONFIG, EVENT_STORE, PERMISSION_CACHE } from '../tokens';

@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERMISSION_CACHE) private readonly cache: PermissionCache,
    @Inject(CONFIG) private readonly config: Config,
    private readonly projector: ProjectorService,
    private readonly messaging: MessagingMetrics,
    private readonly audit: AuditService,
  ) {}

  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  /** Ready when the store and cache answer and (if this instance runs it) the projector is subscribed. */
  @Get('readyz')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [store, cache] = await Promise.all([probe(() => this.store.ping()), probe(() => this.cache.ping())]);
    const [head, checkpoint, kafka] = await Promise.all([
      this.store.headPosition().catch(() => null),
      this.cache.checkpoint().catch(() => null),
      this.messaging.readiness(),
    ]);
    const follower = this.audit.snapshots.progress();
    const projector = this.config.roles.projector ? (this.projector.running ? 'ok' : `down: ${this.projector.lastError ?? 'starting'}`) : 'not run here';
    const ready = store === 'ok' && cache === 'ok' && projector !== 'starting' && !projector.startsWith('down');
    void reply.status(ready ? 200 : 503);
    return {
      status: ready ? 'ready' : 'not ready',
      checks: { eventStore: store, permissionCache: cache, projector },
      projection: {
        head: head?.toString() ?? '0',
        checkpoint: checkpoint?.toString() ?? '0',
        lag: head === null ? 0 : Number(head - (checkpoint ?? 0n)),
      },
      // Kafka never makes the service unready: the relay catches up when it returns.
      kafka,
      // Neither does the audit's snapshot follower: as-of answers fold from older snapshots
      // meanwhile. After a restart it catches up in the background, checks served between its steps.
      auditSnapshots: follower.following
        ? { follower: 'running', position: (follower.position ?? 0n).toString(), lag: head === null ? 0 : Number(head - (follower.position ?? 0n)) }
        : { follower: 'not run here' },
    };
  }

  /** Prometheus text format: projection lag, and Kafka relay and consumer lag when Kafka is on. */
  @Get('metrics')
  async metrics(@Res({ passthrough: true }) reply: FastifyReply) {
    const [head, checkpoint] = await Promise.all([this.store.headPosition().catch(() => null), this.cache.checkpoint().catch(() => null)]);
    const lag = head === null ? 0 : Number(head - (checkpoint ?? 0n));
    void reply.header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    return (
      '# HELP gatehouse_projection_lag Events in the store not yet applied to the permission cache.\n' +
      '# TYPE gatehouse_projection_lag gauge\n' +
      `gatehouse_projection_lag ${lag}\n` +
      (await this.messaging.prometheus())
    );
  }
}

async function probe(fn: () => Promise<void>): Promise<string> {
  try {
    await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))]);
    return 'ok';
  } catch (error) {
    return `down: ${error instanceof Error ? error.message : String(error)}`;
  }
}
