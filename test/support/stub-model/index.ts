/** The stub model API used by the real-CLI tests (see server.ts). */

export type { ClientScript, ClientStep, ScriptedCall, SeenToolResult } from './client.js';
export { toolNamesIn, toolResultsIn } from './client.js';
export { defaultText, refusedUrl, StubModelServer } from './server.js';
export type { RecordedRequest, StubApi, StubRule, StubScript } from './types.js';
