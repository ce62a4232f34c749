/** The error-code registry: every error that can reach a client, with its stable code and meaning. */

export interface ErrorCodeSpec {
  /** Short, safe default message shown to clients. Never contains host data. */
  readonly message: string;
  /** Whether retrying the same request later may succeed. */
  readonly retryable: boolean;
  /** HTTP status when surfaced over HTTP. */
  readonly httpStatus: number;
}

export const ERROR_CODES = {
  // ---- input validation
  INVALID_ARGUMENT: {
    message: 'An argument is missing or has the wrong shape.',
    retryable: false,
    httpStatus: 400,
  },
  INPUT_TOO_LARGE: {
    message: 'An input is larger than the configured limit.',
    retryable: false,
    httpStatus: 413,
  },
  PATH_OUTSIDE_ROOT: {
    message: 'The path is outside the allowed roots.',
    retryable: false,
    httpStatus: 403,
  },
  PATH_NOT_FOUND: { message: 'The path does not exist.', retryable: false, httpStatus: 404 },
  PATH_INVALID: {
    message: 'The path is malformed (empty, NUL byte, or too long).',
    retryable: false,
    httpStatus: 400,
  },
  PATH_NOT_REGULAR: {
    message: 'The path is a special file (FIFO, socket or device); only files and directories are accepted.',
    retryable: false,
    httpStatus: 400,
  },
  INVALID_CURSOR: {
    message: 'The cursor is malformed, expired or not yours; start again without it.',
    retryable: false,
    httpStatus: 400,
  },
  CONTEXT_NOT_FOUND: {
    message: 'No stored result or conversation has that context id (it may have expired).',
    retryable: false,
    httpStatus: 404,
  },
  RUN_LOST: {
    message:
      'The critique stopped with the server that ran it (restart or crash) before it finished; start it again.',
    retryable: true,
    httpStatus: 410,
  },
  TOO_MANY_TASKS: {
    message:
      'This principal already has the most MCP tasks it may hold, all still working (or the server holds taskMaxTotal live tasks); wait for one to finish or cancel one.',
    retryable: true,
    httpStatus: 429,
  },
  // ---- critics
  CLI_NOT_FOUND: {
    message: 'The critic CLI is not installed or not on PATH.',
    retryable: false,
    httpStatus: 503,
  },
  NO_CRITIC_AVAILABLE: {
    message: 'None of the requested critic CLIs is installed and working.',
    retryable: false,
    httpStatus: 503,
  },
  CLI_SPAWN_FAILED: { message: 'The critic CLI could not be started.', retryable: true, httpStatus: 502 },
  CLI_FAILED: { message: 'The critic CLI failed.', retryable: true, httpStatus: 502 },
  CLI_KILLED: { message: 'The critic CLI was killed by a signal.', retryable: true, httpStatus: 502 },
  CLI_TIMEOUT: {
    message: 'The critic CLI ran past its deadline and was stopped.',
    retryable: true,
    httpStatus: 504,
  },
  CLI_STALLED: {
    message: 'The critic CLI produced no output for too long and was stopped.',
    retryable: true,
    httpStatus: 504,
  },
  CLI_OUTPUT_INVALID: {
    message: 'The critic CLI printed output in a format this server does not understand.',
    retryable: false,
    httpStatus: 502,
  },
  AUTH_REQUIRED: {
    message: 'The critic CLI is not logged in or has no API key; log in to it once in a terminal.',
    retryable: false,
    httpStatus: 503,
  },
  RATE_LIMITED: { message: 'The critic vendor is rate limiting requests.', retryable: true, httpStatus: 429 },
  QUOTA_EXCEEDED: {
    message: 'The critic vendor quota or credit is exhausted.',
    retryable: false,
    httpStatus: 429,
  },
  MODEL_NOT_FOUND: {
    message: 'The requested model is unknown to the critic CLI or not available to this account.',
    retryable: false,
    httpStatus: 400,
  },
  MODEL_API_UNREACHABLE: {
    message:
      'The critic CLI could not reach its model API (network, proxy, or the configured base URL is down or wrong).',
    retryable: true,
    httpStatus: 502,
  },
  WORKSPACE_UNTRUSTED: {
    message:
      'The critic CLI refuses to run in a folder it does not trust (gemini: its system defaults file was skipped; see docs/security.md).',
    retryable: false,
    httpStatus: 503,
  },
  SANDBOX_UNAVAILABLE: {
    message:
      'Confinement is required (sandbox=bwrap) but bubblewrap does not work on this host; see `brutalist-mcp doctor`.',
    retryable: false,
    httpStatus: 503,
  },
  RECURSION_BLOCKED: {
    message: 'This server was started by one of its own critics; nested critiques are refused.',
    retryable: false,
    httpStatus: 508,
  },
  // ---- request lifecycle
  CANCELLED: { message: 'The request was cancelled by the client.', retryable: false, httpStatus: 499 },
  DEADLINE_EXCEEDED: { message: 'The request ran past its deadline.', retryable: true, httpStatus: 504 },
  SHUTTING_DOWN: {
    message: 'The server is shutting down; retry on another instance.',
    retryable: true,
    httpStatus: 503,
  },
  // ---- capacity and resilience
  QUEUE_FULL: { message: 'Too many requests are waiting; retry later.', retryable: true, httpStatus: 429 },
  CIRCUIT_OPEN: {
    message: 'The critic is failing repeatedly and is paused; retry later.',
    retryable: true,
    httpStatus: 503,
  },
  OVERLOADED: { message: 'The server is overloaded; retry later.', retryable: true, httpStatus: 503 },
  WORKER_LOST: {
    message:
      'Every worker that took this critic run stopped before it finished (queueMaxAttempts); retry later.',
    retryable: true,
    httpStatus: 503,
  },
  // ---- HTTP service (serve --http)
  UNAUTHENTICATED: {
    message: 'This endpoint needs `Authorization: Bearer <token>` with a valid API key.',
    retryable: false,
    httpStatus: 401,
  },
  INSUFFICIENT_SCOPE: {
    message: 'The API key or token lacks the scope this call needs.',
    retryable: false,
    httpStatus: 403,
  },
  TOKEN_IN_QUERY: {
    message: 'Tokens are accepted only in the Authorization header, never in the URL.',
    retryable: false,
    httpStatus: 400,
  },
  HOST_NOT_ALLOWED: {
    message: 'The Host header is not one this server answers (BRUTALIST_ALLOWED_HOSTS).',
    retryable: false,
    httpStatus: 403,
  },
  ORIGIN_NOT_ALLOWED: {
    message: 'The Origin is not allowed (BRUTALIST_ALLOWED_ORIGINS).',
    retryable: false,
    httpStatus: 403,
  },
  SESSION_NOT_FOUND: {
    message:
      'No such MCP session for this principal (it ended, expired or was never yours); initialize a new one.',
    retryable: false,
    httpStatus: 404,
  },
  SESSION_REQUIRED: {
    message: 'This request needs the Mcp-Session-Id header of an initialized session.',
    retryable: false,
    httpStatus: 400,
  },
  TOO_MANY_SESSIONS: {
    message: 'Too many open MCP sessions; end one (DELETE /mcp) or wait for idle ones to expire.',
    retryable: true,
    httpStatus: 429,
  },
  JSON_INVALID: { message: 'The request body is not valid JSON.', retryable: false, httpStatus: 400 },
  JSON_TOO_DEEP: {
    message: 'The request body nests arrays or objects deeper than allowed.',
    retryable: false,
    httpStatus: 400,
  },
  JSONRPC_INVALID: {
    message: 'The request body is JSON but not a JSON-RPC 2.0 message (or batch of them).',
    retryable: false,
    httpStatus: 400,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    message: 'POST /mcp takes `Content-Type: application/json`.',
    retryable: false,
    httpStatus: 415,
  },
  PROTOCOL_VERSION_UNSUPPORTED: {
    message:
      'This server does not speak the MCP-Protocol-Version the request names; initialize with a supported one.',
    retryable: false,
    httpStatus: 400,
  },
  NOT_FOUND: { message: 'No such endpoint.', retryable: false, httpStatus: 404 },
  METHOD_NOT_ALLOWED: {
    message: 'This endpoint does not take that method.',
    retryable: false,
    httpStatus: 405,
  },
  // ---- HTTP guards (rate limits, OAuth resource-server mode)
  TOO_MANY_REQUESTS: {
    message: 'This client sent too many requests; retry after the Retry-After delay.',
    retryable: true,
    httpStatus: 429,
  },
  EVENT_ID_UNKNOWN: {
    message: 'Last-Event-ID names no stream this session still holds; get the result by context_id instead.',
    retryable: false,
    httpStatus: 400,
  },
  TOO_MANY_CONNECTIONS: {
    message: 'This client address holds too many open connections; the new one was closed.',
    retryable: true,
    httpStatus: 429,
  },
  TOKEN_INVALID: {
    message: 'The bearer token is malformed, not signed by a trusted key, or for another issuer or audience.',
    retryable: false,
    httpStatus: 401,
  },
  TOKEN_EXPIRED: {
    message: 'The bearer token has expired (or is not valid yet); get a new one.',
    retryable: false,
    httpStatus: 401,
  },
  JWKS_UNAVAILABLE: {
    message: "The authorization server's signing keys could not be fetched; retry later.",
    retryable: true,
    httpStatus: 503,
  },
  // ---- review (brutalist-mcp review, review-post)
  GIT_REPO_NOT_FOUND: {
    message: 'The current directory is not inside a git work tree.',
    retryable: false,
    httpStatus: 400,
  },
  GIT_REF_INVALID: {
    message: 'A --base or --head revision does not name a commit in this repository (fetch it first).',
    retryable: false,
    httpStatus: 400,
  },
  GIT_FAILED: {
    message: 'git is not installed, failed, or ran past its deadline.',
    retryable: true,
    httpStatus: 500,
  },
  GITHUB_API_FAILED: {
    message:
      'The GitHub API refused or failed the request (data.status: the HTTP status, 0 when unreachable).',
    retryable: true,
    httpStatus: 502,
  },
  // ---- usage budgets (ADR 0047)
  BUDGET_EXCEEDED: {
    message: "The caller's daily usage budget is spent; it renews at 00:00 UTC.",
    retryable: true,
    httpStatus: 429,
  },
  BUDGET_UNENFORCEABLE: {
    message:
      'This critic reports no cost, so max_usd cannot be held for it: add its prices to usagePrices, or pass max_tokens instead.',
    retryable: false,
    httpStatus: 400,
  },
  URL_BLOCKED: {
    message:
      'The URL is refused by the URL policy (only public http(s) addresses unless allowlisted in urlAllowedNetworks).',
    retryable: false,
    httpStatus: 403,
  },
  EVIDENCE_UNSUPPORTED: {
    message:
      'This critic CLI cannot be given evidence servers (mcp_servers) here; use claude or codex (gemini: abstract domains only).',
    retryable: false,
    httpStatus: 400,
  },
  // ---- server
  CONFIG_INVALID: { message: 'The server configuration is invalid.', retryable: false, httpStatus: 500 },
  STATE_UNAVAILABLE: { message: 'The state store is unavailable.', retryable: true, httpStatus: 503 },
  STATE_VALUE_TOO_LARGE: {
    message: 'The value is larger than the state store may hold.',
    retryable: false,
    httpStatus: 507,
  },
  INTERNAL_ERROR: { message: 'Internal error.', retryable: false, httpStatus: 500 },
  // ---- routed critics (ADR 0048)
  ROUTED_CLIENT_INVALID: {
    message:
      'A routed client is malformed, its base URL is refused, its id is taken, or its token variable is unset.',
    retryable: false,
    httpStatus: 400,
  },
  ROUTED_TOKEN_ENV_REFUSED: {
    message: 'A routed client names a token variable the server does not allow (routedTokenEnvs).',
    retryable: false,
    httpStatus: 403,
  },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ALL_ERROR_CODES = Object.keys(ERROR_CODES) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
