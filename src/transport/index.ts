/** Transports: the composition root, stdio hosting and Streamable HTTP hosting. */
export * from './app.js';
export * from './drain.js';
export * from './health-checks.js';
export * from './http.js';
export * from './stdio.js';
