import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { EventStore } from '@gatehouse/event-store';
import { Authenticator } from '../auth/authenticator';
import { Config } from '../config/config';
import { CONFIG, EVENT_STORE } from '../tokens';

/**
 * What messaging needs from the rest of the app. AppModule exports nothing (each of its
 * providers is private to it), so these are looked up across modules (`strict: false`)
 * once the app is initialised, rather than widening AppModule's surface for one module.
 */
@Injectable()
export class GatehouseHost {
  constructor(private readonly moduleRef: ModuleRef) {}

  get config(): Config {
    return this.moduleRef.get<Config>(CONFIG, { strict: false });
  }

  get store(): EventStore {
    return this.moduleRef.get<EventStore>(EVENT_STORE, { strict: false });
  }

  get authenticator(): Authenticator {
    return this.moduleRef.get(Authenticator, { strict: false });
  }

  get commandBus(): CommandBus {
    return this.moduleRef.get(CommandBus, { strict: false });
  }
}
