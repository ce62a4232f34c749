/** Security: input validation (paths, sizes) and the sanitizer every outbound message passes through. */

export { PATH_PLACEHOLDER } from './host-paths.js';
export { checkTextLimits, DEFAULT_MAX_FIELD_DEPTH, type TextLimits } from './limits.js';
export {
  narrowRoots,
  PATH_ERROR_CODES,
  type PathLimits,
  type ResolvedTarget,
  resolveTarget,
  rootsFromUris,
} from './paths.js';
export {
  DEFAULT_SANITIZE_MAX_CHARS,
  DEFAULT_SANITIZE_MAX_DEPTH,
  DEPTH_PLACEHOLDER,
  type SanitizeOptions,
  sanitizeData,
  sanitizeText,
} from './sanitize.js';
export { REDACTED } from './secrets.js';
export {
  addCounts,
  CritiqueSanitizer,
  NO_REDACTED_INPUT,
  NO_SANITIZED,
  type RedactedInputCounts,
  type SanitizedCounts,
  stripTerminalControls,
} from './untrusted-text.js';
export { type FetchedPage, type FetchLimits, fetchUnderPolicy, pinnedLookup } from './url-fetch.js';
export {
  type AddressClass,
  type CheckedUrl,
  classifyAddress,
  type Resolve,
  systemResolve,
  UrlPolicy,
  type UrlPolicyConfig,
} from './url-policy.js';
export { type PolicyProxy, type ProxyLimits, startPolicyProxy } from './url-proxy.js';
