// The server a benchmark drives: one critic (claude = the given fake), no result cache, the sandbox and spawner
// modes under test, and no fake-CLI log (its writes would be measured too).
import { type Sandbox, serverEnv } from '../test/support/harness.js';

/**
 * For one sequential caller's benches: load shedding keeps its sampler (same cost) but sheds only past a minute of
 * event-loop delay, so a long series on a machine loaded by others measures calls instead of ending in OVERLOADED.
 * Not for the many-callers benches, whose numbers are for the default configuration.
 */
export const NO_SHEDDING = { BRUTALIST_SHED_EVENT_LOOP_DELAY_MS: '60000' } as const;

export function benchServerEnv(
  sandbox: Sandbox,
  fake: string,
  modes: { sandbox: string; spawner?: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string | undefined> = serverEnv(sandbox, {
    BRUTALIST_CRITIC_PREFERENCE: 'claude',
    BRUTALIST_CLAUDE_BIN: fake,
    BRUTALIST_CACHE_TTL_MS: '0',
    BRUTALIST_SANDBOX: modes.sandbox,
    BRUTALIST_SPAWNER: modes.spawner ?? 'auto',
    ...extra,
  });
  delete env.FAKE_CLI_LOG;
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
