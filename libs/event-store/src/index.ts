export * from './event-store.port';
export * from './in-memory/in-memory-event-store';
