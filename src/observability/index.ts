/** Observability: the request context and the logger that subscribes to the core's diagnostics channels. */
export * from './logger.js';
export * from './request-context.js';
export * from './request-events.js';
