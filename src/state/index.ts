/** State: the StateStore contract, the in-memory store, and result paging. */

export * from './cache-front.js';
export * from './day-records.js';
export * from './degrading.js';
export * from './diagnostics.js';
export * from './factory.js';
export * from './forwarding.js';
export * from './memory.js';
export * from './pages.js';
export * from './redis.js';
export * from './result-chunks.js';
export * from './sqlite.js';
export * from './sqlite-schema.js';
export * from './types.js';
