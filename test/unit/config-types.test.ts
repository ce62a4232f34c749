// Compile-time checks of the Config type (tsc runs over test/ in `npm run lint`; a degraded type fails the lint)
// plus runtime anchors that the resolved values have the types the compiler is told.
import { describe, expect, it } from 'vitest';
import {
  type Config,
  CRITIC_NAMES,
  type CriticName,
  type DropPolicyName,
  type OPTIONS,
  type PriorityName,
  resolveConfig,
  type SandboxMode,
  type StateStoreChoice,
} from '../../src/engine/config.js';
import type { DropPolicy } from '../../src/streaming/index.js';

/** True only when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

describe('Config type', () => {
  it('types boolean options as boolean (never as never, any or string)', () => {
    assertType<Equal<Config['geminiTrustWorkspace'], boolean>>();
    assertType<Equal<Config['redactInputSecrets'], boolean>>();
    const trust: Config['geminiTrustWorkspace'] = true;
    // @ts-expect-error a string is not a boolean option value
    const wrong: Config['geminiTrustWorkspace'] = 'yes';
    expect([trust, wrong]).toEqual([true, 'yes']);
    expect(typeof resolveConfig().geminiTrustWorkspace).toBe('boolean');
  });

  it('types options with a fixed set of choices as their literal union', () => {
    assertType<Equal<Config['sandbox'], 'auto' | 'bwrap' | 'off'>>();
    assertType<Equal<Config['sandbox'], SandboxMode>>();
    assertType<Equal<Config['stateStore'], 'auto' | 'sqlite' | 'redis' | 'memory'>>();
    assertType<Equal<Config['stateStore'], StateStoreChoice>>();
    assertType<Equal<Config['dropPolicy'], DropPolicyName>>();
    assertType<Equal<Config['dropPolicy'], DropPolicy>>();
    assertType<Equal<Config['defaultPriority'], PriorityName>>();
    // @ts-expect-error not one of the choices
    const bad: Config['sandbox'] = 'docker';
    expect(bad).toBe('docker');
  });

  it('types the critic preference from the one critic list, so a new critic is one entry in CRITIC_NAMES', () => {
    assertType<Equal<CriticName, (typeof CRITIC_NAMES)[number]>>();
    assertType<Equal<Config['criticPreference'], readonly CriticName[]>>();
    // @ts-expect-error not a critic
    const bad: Config['criticPreference'] = ['grok'];
    expect(bad).toEqual(['grok']);
    // By default only the critics that run read-only, in registry order; agy is named in `clis` to run.
    expect(resolveConfig().criticPreference).toEqual(CRITIC_NAMES.filter((c) => c !== 'agy'));
    expect(CRITIC_NAMES).toContain('agy');
  });

  it('types numbers, strings and lists as such, every Config key an option and readonly', () => {
    assertType<Equal<Config['cliTimeoutMs'], number>>();
    assertType<Equal<Config['oversizedResultsKept'], number>>();
    assertType<Equal<Config['claudeBin'], string>>();
    assertType<Equal<Config['roots'], readonly string[]>>();
    assertType<Equal<keyof Config, keyof typeof OPTIONS>>();
    assertType<Equal<Config, Readonly<Config>>>();
    const config = resolveConfig();
    expect(() => {
      // @ts-expect-error the resolved Config is read-only (and frozen)
      config.cliTimeoutMs = 1;
    }).toThrow(TypeError);
    expect(typeof config.cliTimeoutMs).toBe('number');
  });
});
