// The package's public surface is a contract: named exports and error codes change only on purpose.
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

describe('public API', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'ALL_ERROR_CODES',
        'BrutalistError',
        'CRITIC_NAMES',
        'CriticAvailability',
        'ERROR_CODES',
        'Engine',
        'MemoryStateStore',
        'OPTIONS',
        'TOOLS',
        'createApp',
        'createMcpServer',
        'isBrutalistError',
        'loadConfig',
        'resolveConfig',
        'runCritic',
        'serveStdio',
      ].sort(),
    );
  });

  it('keeps every error code (removing or renaming one breaks clients)', () => {
    expect(api.ALL_ERROR_CODES).toEqual(
      expect.arrayContaining([
        'INVALID_ARGUMENT',
        'INPUT_TOO_LARGE',
        'PATH_OUTSIDE_ROOT',
        'PATH_NOT_FOUND',
        'PATH_INVALID',
        'PATH_NOT_REGULAR',
        'INVALID_CURSOR',
        'CONTEXT_NOT_FOUND',
        'CLI_NOT_FOUND',
        'NO_CRITIC_AVAILABLE',
        'CLI_SPAWN_FAILED',
        'CLI_FAILED',
        'CLI_KILLED',
        'CLI_TIMEOUT',
        'CLI_STALLED',
        'CLI_OUTPUT_INVALID',
        'AUTH_REQUIRED',
        'RATE_LIMITED',
        'QUOTA_EXCEEDED',
        'MODEL_NOT_FOUND',
        'MODEL_API_UNREACHABLE',
        'WORKSPACE_UNTRUSTED',
        'RECURSION_BLOCKED',
        'CANCELLED',
        'DEADLINE_EXCEEDED',
        'SHUTTING_DOWN',
        'QUEUE_FULL',
        'CIRCUIT_OPEN',
        'OVERLOADED',
        'WORKER_LOST',
        'CONFIG_INVALID',
        'STATE_UNAVAILABLE',
        'INTERNAL_ERROR',
      ]),
    );
  });

  it('lists the four tools', () => {
    expect(Object.keys(api.TOOLS).sort()).toEqual([
      'brutalist_discover',
      'cli_agent_roster',
      'roast',
      'roast_cli_debate',
    ]);
  });
});
