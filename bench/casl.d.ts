// @casl/ability publishes its types through package.json "exports", which this project's
// `moduleResolution: node` does not read; point the bare specifier at them.
declare module '@casl/ability' {
  export * from '@casl/ability/dist/types/index';
}
