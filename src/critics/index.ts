/** Critics: the vendor adapters, availability probing and the single-critic runner. */
export {
  ADAPTERS,
  ALL_ADAPTERS,
  baseUrlFor,
  binaryFor,
  type CriticsConfig,
  DEFAULT_CRITIC_PREFERENCE,
  defaultModelFor,
  REGISTRY_OPTIONS,
} from './adapters.js';
export { type Availability, type AvailabilityDeps, CriticAvailability } from './availability.js';
export {
  type BudgetStop,
  BYTES_PER_TOKEN_ESTIMATE,
  estimateTokens,
  type RunAllowance,
  type RunBudget,
} from './budget.js';
export {
  assertSafeModel,
  type ClassifyHints,
  classifyRun,
  formatExitClass,
  parseSemver,
  scrubDetail,
  statusFromMessage,
} from './classify.js';
export { CLAUDE_DENIED_TOOLS, CLAUDE_READ_TOOLS, claudeAdapter } from './claude.js';
export { CODEX_PROVIDER_ID, CODEX_PROVIDER_KEY_ENV, CODEX_UNTRUSTED_SHOWN, codexAdapter } from './codex.js';
export { CriticEventParser, MAX_EVENT_LINE_BYTES } from './events.js';
export {
  checkEvidenceNames,
  EVIDENCE_CRITICS,
  type EvidenceServer,
  evidenceServerNames,
  PLAYWRIGHT_DENIED_TOOLS,
  PLAYWRIGHT_SERVER,
} from './evidence.js';
export {
  GEMINI_AUTH_EXIT_CODE,
  GEMINI_ENV,
  GEMINI_NO_FILE_TOOLS_POLICY_PATH,
  GEMINI_SYSTEM_DEFAULTS_PATH,
  geminiAdapter,
  geminiReadsSystemFile,
} from './gemini.js';
export { eachJsonl, JsonlDecoder, parseJsonl } from './jsonl.js';
export { CriticLogins, type LoginStatus, type LoginStatusDeps } from './login.js';
export type { LoginCheck, LoginVerdict, StatusOutput } from './login-checks.js';
export {
  CALL_ROUTED_LABEL,
  type CarriedRoute,
  carriedRoute,
  checkBaseUrl,
  configRoutes,
  ROUTED_VENDOR,
  type RoutedRoute,
  resolveRoutes,
  routedLabel,
  routeOnWorker,
  withRoutedSecrets,
} from './routed.js';
export { type RunCriticDeps, type RunCriticOptions, runCritic } from './run.js';
export * from './types.js';
