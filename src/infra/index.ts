/** Shared low-level helpers: clock, ids, abort signals, trace context. Imports nothing from the project. */
export * from './abort.js';
export * from './clock.js';
export * from './context.js';
export * from './diagnostics.js';
export * from './ids.js';
export * from './trace.js';
export * from './tree-walk.js';
export * from './version.js';
