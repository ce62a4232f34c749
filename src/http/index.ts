/** The HTTP service's parts: API keys, authentication, Host/Origin policy, bodies, sessions and the request pipeline. */
export * from './audit.js';
export * from './auth.js';
export * from './body.js';
export * from './client-ip.js';
export * from './connections.js';
export * from './dashboard-sessions.js';
export * from './event-store.js';
export * from './handler.js';
export * from './hooks.js';
export * from './jwt.js';
export * from './keys.js';
export * from './ops-routes.js';
export * from './origin.js';
export * from './rate-limit.js';
export * from './refusals.js';
export * from './reply.js';
export * from './sessions.js';
