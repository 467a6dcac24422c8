export * from './permission-cache.port';
export * from './projection';
export * from './in-process/in-process-permission-cache';
export * from './redis/redis-permission-cache';
export * from './lookups/lookups.port';
