export * from './http/schemas';
export * from './http/openapi';
