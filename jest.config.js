/** Unit tests sit next to their subject's name in test/, end-to-end tests in test/e2e. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testTimeout: 120000,
  setupFiles: ['reflect-metadata'],
};
