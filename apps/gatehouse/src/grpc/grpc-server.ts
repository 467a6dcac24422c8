import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { PermissionCache } from '@gatehouse/permission-cache';
import { Config } from '../config/config';
import { CONFIG, PERMISSION_CACHE } from '../tokens';
import { toGrpcStatus } from './grpc-status';
import { CallContext, CheckBulkRequestMessage, CheckRequestMessage, IntrospectApiKeyRequestMessage, LookupResourcesRequestMessage, LookupSubjectsRequestMessage, PermissionGrpcService } from './permission.grpc-service';
import { loadServerPackage } from './proto';

export const PERMISSION_SERVICE = 'gatehouse.v1.PermissionService';
const HEALTH_PROBE_MS = 5_000;

/**
 * The gRPC edge: a plain @grpc/grpc-js server owned by a Nest provider, serving
 * gatehouse.v1.PermissionService, grpc.health.v1.Health and server reflection (v1 and
 * v1alpha) next to the HTTP API of the same app.
 *
 * Why not Nest's GRPC transport (`connectMicroservice` + `@GrpcMethod`): it binds its
 * server without telling the port it got (tests run on GRPC_PORT=0), it leaves health,
 * reflection and trailing metadata to hand-wiring through `onLoadPackageDefinition`
 * and raw call objects anyway, and its per-call pipeline (context creation, RxJS,
 * filters) is overhead on the hot path the benchmark holds to ≥70% of a bare server.
 * What Nest gives us is kept: DI of the same services the controllers use, and the
 * app's lifecycle (the server drains before the store and cache close).
 *
 * It starts only when asked (main.ts, or a test), not on module init: every app built
 * by createApp would otherwise grab the port.
 */
@Injectable()
export class GrpcServer implements BeforeApplicationShutdown {
  private readonly logger = new Logger('gRPC');
  private server: grpc.Server | null = null;
  private health: HealthImplementation | null = null;
  private probe: NodeJS.Timeout | null = null;

  constructor(
    private readonly permissions: PermissionGrpcService,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(PERMISSION_CACHE) private readonly cache: PermissionCache,
  ) {}

  /** Binds and serves; resolves with the bound port (the real one when asked for 0). */
  async listen(host: string, port: number): Promise<number> {
    if (this.server) throw new Error('the gRPC server is already listening');
    const pkg = loadServerPackage();
    const server = new grpc.Server({
      // The same bound as the HTTP body limit; beyond it grpc-js answers RESOURCE_EXHAUSTED.
      'grpc.max_receive_message_length': this.config.bodyLimitBytes,
    });
    const service = (pkg[PERMISSION_SERVICE] as grpc.ServiceDefinition) ?? null;
    if (!service) throw new Error(`${PERMISSION_SERVICE} is missing from the .proto files`);
    server.addService(service, {
      Check: this.unary('Check', (request: CheckRequestMessage, call) => this.permissions.check(request, call)),
      CheckBulk: this.unary('CheckBulk', (request: CheckBulkRequestMessage, call) => this.permissions.checkBulk(request, call)),
      IntrospectApiKey: this.unary('IntrospectApiKey', (request: IntrospectApiKeyRequestMessage, call) => this.permissions.introspectApiKey(request, call)),
      LookupResources: this.unary('LookupResources', (request: LookupResourcesRequestMessage, call) => this.permissions.lookupResources(request, call)),
      LookupSubjects: this.unary('LookupSubjects', (request: LookupSubjectsRequestMessage, call) => this.permissions.lookupSubjects(request, call)),
    });
    this.health = new HealthImplementation({ '': 'NOT_SERVING', [PERMISSION_SERVICE]: 'NOT_SERVING' });
    this.health.addToServer(server);
    new ReflectionService(pkg).addToServer(server);

    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
    );
    this.server = server;
    await this.checkHealth();
    this.probe = setInterval(() => void this.checkHealth(), HEALTH_PROBE_MS);
    this.probe.unref();
    return bound;
  }

  /** Stops taking calls, lets running ones finish (bounded), then closes; before the store and cache close. */
  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    if (this.probe) clearInterval(this.probe);
    this.setHealth('NOT_SERVING');
    const drainMs = Math.min(5_000, this.config.consistencyTimeoutMs + 500);
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, drainMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /** Health follows what checks need: the permission cache answering. */
  private async checkHealth(): Promise<void> {
    const ok = await Promise.race([
      this.cache.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(resolve, 2_000, false).unref()),
    ]);
    if (this.server) this.setHealth(ok ? 'SERVING' : 'NOT_SERVING');
  }

  private setHealth(status: 'SERVING' | 'NOT_SERVING'): void {
    this.health?.setStatus('', status);
    this.health?.setStatus(PERMISSION_SERVICE, status);
  }

  /**
   * A unary handler around a promise: the result, or the error mapped once. A call whose
   * deadline has passed reports DEADLINE_EXCEEDED, as the client's own timer does.
   */
  private unary<Req, Res>(method: string, handle: (request: Req, call: CallContext) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const d = call.getDeadline();
      const deadline = d instanceof Date ? d.getTime() : d;
      let result: Promise<Res>;
      try {
        result = handle(call.request, { metadata: call.metadata, deadline });
      } catch (error) {
        result = Promise.reject(error);
      }
      result.then(
        (response) => callback(null, response),
        (error: unknown) => callback(toGrpcStatus(error, { method, deadlinePassed: Date.now() >= deadline })),
      );
    };
  }
}
