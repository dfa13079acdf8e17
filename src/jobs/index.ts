export * from './task-queue';
export * from './worker';
