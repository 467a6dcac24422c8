import { DynamicModule, Module, Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { KafkaConfig } from './messaging/kafka.config';
import { MessagingModule } from './messaging/messaging.module';
import { Clock, IdGenerator } from '@gatehouse/domain';
import { EventStore } from '@gatehouse/event-store';
import { PermissionCache } from '@gatehouse/permission-cache';
import { AuthGuard } from './auth/auth.guard';
import { Authenticator } from './auth/authenticator';
import { RootKey } from './auth/root-key';
import { CheckService } from './check/check.service';
import { GrpcServer } from './grpc/grpc-server';
import { PermissionGrpcService } from './grpc/permission.grpc-service';
import { AcceptInvitationHandler } from './commands/accept-invitation';
import { CreateApiKeyHandler, RevokeApiKeyHandler } from './commands/api-keys';
import { ExecuteAccountCommandHandler } from './commands/account-command';
import { CommandRunner } from './commands/command-runner';
import { CreateAccountHandler } from './commands/create-account';
import { Identities } from './commands/identities';
import { InviteUserHandler } from './commands/invite-user';
import { Config } from './config/config';
import { AccessModelController } from './http/access-model.controller';
import { AuditController } from './http/audit.controller';
import { AdminController } from './http/admin.controller';
import { AuditService } from './audit/audit.service';
import { IdentityController } from './http/identity.controller';
import { KeyLookup } from './auth/key-lookup';
import { FailedAuthLimiter } from './auth/failed-auth-limiter';
import { KeyUsage } from './auth/key-usage';
import { CreateInviteLinkHandler, JoinViaInviteLinkHandler } from './commands/invite-links';
import { ProvisionUserHandler, RecordLoginHandler } from './commands/provision-user';
import { SeedAdmins } from './commands/seed-admins';
import { CreateServiceAccountHandler } from './commands/service-accounts';
import { IdentityQueries } from './queries/identity.queries';
import { AccountsController } from './http/accounts.controller';
import { ApiKeysController } from './http/api-keys.controller';
import { CheckController } from './http/check.controller';
import { ResourcesController } from './http/resources.controller';
import { ExecuteResourceCommandHandler } from './commands/resources';
import { LookupService } from './lookup/lookup.service';
import { DocsController } from './http/docs.controller';
import { HealthController } from './http/health.controller';
import { MembersController } from './http/members.controller';
import { ProblemFilter } from './http/problem.filter';
import { InfrastructureLifecycle } from './infrastructure-lifecycle';
import { ProjectionProgress } from './projector/projection-progress';
import { ProjectorService } from './projector/projector.service';
import { AccountQueries } from './queries/account.queries';
import { CLOCK, CONFIG, EVENT_STORE, IDS, PERMISSION_CACHE, ROOT_KEY } from './tokens';

/** The adapters and injected services one Gatehouse process runs with (see main.ts and the tests). */
export interface Infrastructure {
  /** Kafka settings from loadKafkaConfig; null or absent: Kafka off (the embedded default). */
  kafka?: KafkaConfig | null;
  config: Config;
  eventStore: EventStore;
  permissionCache: PermissionCache;
  rootKey: RootKey;
  clock: Clock;
  ids: IdGenerator;
}

const commandHandlers = [
  CreateAccountHandler,
  InviteUserHandler,
  AcceptInvitationHandler,
  ExecuteAccountCommandHandler,
  ProvisionUserHandler,
  RecordLoginHandler,
  CreateInviteLinkHandler,
  JoinViaInviteLinkHandler,
  CreateServiceAccountHandler,
  CreateApiKeyHandler,
  RevokeApiKeyHandler,
  ExecuteResourceCommandHandler,
];

@Module({})
export class AppModule {
  static with(infra: Infrastructure): DynamicModule {
    const providers: Provider[] = [
      { provide: CONFIG, useValue: infra.config },
      { provide: EVENT_STORE, useValue: infra.eventStore },
      { provide: PERMISSION_CACHE, useValue: infra.permissionCache },
      { provide: ROOT_KEY, useValue: infra.rootKey },
      { provide: CLOCK, useValue: infra.clock },
      { provide: IDS, useValue: infra.ids },
      { provide: APP_GUARD, useClass: AuthGuard },
      { provide: APP_FILTER, useClass: ProblemFilter },
      InfrastructureLifecycle,
      CommandRunner,
      Identities,
      Authenticator,
      ProjectionProgress,
      ProjectorService,
      CheckService,
      LookupService,
      PermissionGrpcService,
      GrpcServer,
      AccountQueries,
      IdentityQueries,
      AuditService,
      KeyUsage,
      KeyLookup,
      FailedAuthLimiter,
      SeedAdmins,
      ...commandHandlers,
    ];
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot(), MessagingModule.forRoot(infra.kafka ?? null)],
      controllers: [AccountsController, MembersController, AccessModelController, IdentityController, AuditController, AdminController, ApiKeysController, CheckController, ResourcesController, HealthController, DocsController],
      providers,
    };
  }
}
