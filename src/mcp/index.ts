/** The MCP layer: tool schemas, result formatting and the server object. */
export * from './format.js';
export * from './server.js';
export * from './tools.js';
