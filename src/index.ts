/** Public API of the brutalist-mcp package: named exports only (pinned by test/contract/public-api.test.ts). */

export { CriticAvailability, runCritic } from './critics/index.js';
export {
  type Config,
  CRITIC_NAMES,
  type CriticName,
  loadConfig,
  OPTIONS,
  resolveConfig,
} from './engine/config.js';
export { Engine, type EngineDeps, type RequestContext, type ToolResponse } from './engine/index.js';
export {
  ALL_ERROR_CODES,
  BrutalistError,
  ERROR_CODES,
  type ErrorCode,
  isBrutalistError,
} from './errors/index.js';
export { createMcpServer, TOOLS } from './mcp/index.js';
export { MemoryStateStore, type StateStore } from './state/index.js';
export { type App, createApp, serveStdio } from './transport/index.js';
