/** The stub model API used by the real-CLI tests (see server.ts). */
export { defaultText, refusedUrl, StubModelServer } from './server.js';
export type { RecordedRequest, StubApi, StubRule, StubScript } from './types.js';
