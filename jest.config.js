// Unit tests (*.unit.spec.ts) need nothing; integration (*.int.spec.ts) and end-to-end
// (*.e2e.spec.ts) tests start what they need themselves (SQLite files, a private
// redis-server) and say loudly when they cannot.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const common = {
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^@gatehouse/(.*)$': '<rootDir>/libs/$1/src' },
  testEnvironment: 'node',
};
// Measurements written as jest suites (*.bench.spec.ts) run only when asked: GATEHOUSE_BENCH=1 npx jest --selectProjects bench
const bench = process.env.GATEHOUSE_BENCH === '1' ? [{ ...common, displayName: 'bench', testMatch: ['<rootDir>/libs/**/*.bench.spec.ts'], globalSetup: '<rootDir>/test/support/global-setup.ts', globalTeardown: '<rootDir>/test/support/global-teardown.ts' }] : [];
module.exports = {
  projects: [
    ...bench,
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,test}/**/*.unit.spec.ts'] },
    {
      ...common,
      displayName: 'int',
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.{int,e2e}.spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
