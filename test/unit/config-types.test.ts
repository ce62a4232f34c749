// Compile-time checks of the Config type (tsc runs over test/ in `npm run lint`) plus a runtime anchor.
import { describe, expect, it } from 'vitest';
import { type Config, resolveConfig } from '../../src/config/index.js';

type IsNever<T> = [T] extends [never] ? true : false;

describe('Config type', () => {
  it('types geminiTrustWorkspace as boolean, not never', () => {
    const notNever: IsNever<Config['geminiTrustWorkspace']> = false;
    const trust: Config['geminiTrustWorkspace'] = true;
    // @ts-expect-error a string is not a boolean option value
    const wrong: Config['geminiTrustWorkspace'] = 'yes';
    expect([notNever, trust, wrong]).toEqual([false, true, 'yes']);
    expect(typeof resolveConfig({ env: {} }).geminiTrustWorkspace).toBe('boolean');
  });
});
