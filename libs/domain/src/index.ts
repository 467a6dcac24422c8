// The public surface of the domain: plain TypeScript, no framework or infrastructure.
export * from './errors';
export * from './clock';
export * from './actor';
export * from './secrets';
export * from './access/model';
export * from './access/compiled-role';
export * from './access/evaluator';
export * from './access/authorize';
export * from './presets/presets';
export * from './account/account.events';
export * from './account/account.commands';
export * from './account/account.state';
export * from './account/account.decide';
export * from './api-key/api-key';
export * from './identity/identity';
export * from './logins/logins';
export * from './events';
