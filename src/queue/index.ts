/** Distributed execution (ADR 0041): front-side queue runner, worker, fleet roster. */
export * from './front.js';
export * from './jobs.js';
export * from './roster.js';
export * from './worker.js';
