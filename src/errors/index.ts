/** Errors: the code registry and the error class every layer throws. */
export * from './brutalist-error.js';
export * from './codes.js';
