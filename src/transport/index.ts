/** Transports: the composition root and stdio hosting. */
export * from './app.js';
export * from './stdio.js';
