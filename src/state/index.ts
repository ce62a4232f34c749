/** State: the StateStore contract, the in-memory store, and result paging. */
export * from './memory.js';
export * from './pages.js';
export * from './types.js';
