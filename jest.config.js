/** Unit tests sit next to their subject's name in test/, end-to-end tests in test/e2e. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testTimeout: 120000,
  // one test file at a time, each in a worker that is replaced once it holds more than this
  // after a file: what one file leaves behind (servers, threads, heap) cannot slow the next
  maxWorkers: 1,
  workerIdleMemoryLimit: '700MB',
  setupFiles: ['reflect-metadata'],
};
