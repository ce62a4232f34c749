import { describe, expect, it } from 'vitest';
import { ALL_ERROR_CODES } from '../../src/errors/index.js';
import { outcomeOf } from '../../src/resilience/outcome.js';

describe('breaker outcome of an error code', () => {
  it.each([
    'CLI_FAILED',
    'CLI_KILLED',
    'CLI_TIMEOUT',
    'CLI_STALLED',
    'CLI_SPAWN_FAILED',
    'CLI_OUTPUT_INVALID',
    'INTERNAL_ERROR',
    'MODEL_API_UNREACHABLE',
    'RATE_LIMITED',
    'QUOTA_EXCEEDED',
  ] as const)('counts %s as a vendor failure', (code) => {
    expect(outcomeOf(code, false)).toBe('failure');
  });

  it.each([
    'AUTH_REQUIRED',
    'CLI_NOT_FOUND',
    'WORKSPACE_UNTRUSTED',
    'MODEL_NOT_FOUND',
    'INVALID_ARGUMENT',
    'QUEUE_FULL',
    'CIRCUIT_OPEN',
    'OVERLOADED',
    'DEADLINE_EXCEEDED',
    'CANCELLED',
  ] as const)('ignores %s (configuration, validation or our own rejection)', (code) => {
    expect(outcomeOf(code, false)).toBe('ignored');
  });

  it('ignores every code when the client cancelled', () => {
    for (const code of ALL_ERROR_CODES) expect(outcomeOf(code, true)).toBe('ignored');
  });
});
