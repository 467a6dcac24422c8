import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { EventStore } from '@gatehouse/event-store';
import { PermissionCache } from '@gatehouse/permission-cache';
import { EVENT_STORE, PERMISSION_CACHE } from './tokens';

/** The app owns its adapters: closing the app closes the store and the cache, after the projector stopped. */
@Injectable()
export class InfrastructureLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERMISSION_CACHE) private readonly cache: PermissionCache,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    await this.cache.close();
  }
}
