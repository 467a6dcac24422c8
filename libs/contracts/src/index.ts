export * from './http/schemas';
export * from './http/openapi';
export * from './http/resources';
