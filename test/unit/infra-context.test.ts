import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { bindToContext } from '../../src/infra/index.js';

describe('bindToContext', () => {
  const store = new AsyncLocalStorage<string>();

  it('runs a bound function in the context it was bound in, whichever context calls it', () => {
    const bound = store.run('caller', () => bindToContext()((x: number) => `${store.getStore()}:${x}`));
    expect(store.run('other', () => bound(1))).toBe('caller:1');
    expect(bound(2)).toBe('caller:2');
  });

  it('binds every function of one binder to the same context, passing arguments and results through', () => {
    const bind = store.run('run-7', () => bindToContext('test'));
    const seen: Array<string | undefined> = [];
    const a = bind((n: number, m: number) => {
      seen.push(store.getStore());
      return n + m;
    });
    const b = bind(() => seen.push(store.getStore()));
    expect(store.run('spawner', () => a(2, 3))).toBe(5);
    store.run('spawner', b);
    expect(seen).toEqual(['run-7', 'run-7']);
  });
});
