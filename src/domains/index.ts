/** Critique domains: the catalog, prompt assembly, debate orchestration and discovery. */
export * from './catalog.js';
export * from './citations.js';
export * from './debate.js';
export * from './discover.js';
export { FENCE_RULE, fence, neutralizeDelimiters } from './fence.js';
export * from './prompt.js';
