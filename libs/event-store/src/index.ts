export * from './event-store.port';
export * from './in-memory/in-memory-event-store';
export * from './sqlite/sqlite-event-store';
export * from './eventstoredb/eventstoredb-event-store';
// Jest globals are only touched when the helper is called, so importing this is safe outside tests.
export * from './testing/event-store.contract';
