/** Streaming: bounded, rate-limited, coalesced progress and log notifications per request. */
export * from './diagnostics.js';
export * from './hub.js';
export * from './request-stream.js';
export * from './ring-buffer.js';
export * from './token-bucket.js';
export * from './types.js';
