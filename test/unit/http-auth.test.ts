/** Authenticator: no token needed without keys, alternatives tried in order, the first refusal kept as the error. */
import { describe, expect, it } from 'vitest';
import { BrutalistError } from '../../src/errors/index.js';
import { Authenticator, LOCAL_PRINCIPAL } from '../../src/http/index.js';

const principal = (name: string) => ({ name, scopes: new Set(['roast'] as const) });

describe('Authenticator', () => {
  it('answers the local principal with every scope when nothing is configured', async () => {
    const auth = new Authenticator(undefined);
    expect(auth.required).toBe(false);
    expect(await auth.authenticate(undefined)).toEqual({ ok: true, principal: LOCAL_PRINCIPAL });
  });

  it('needs a token once an alternative is configured, missing or malformed told apart', async () => {
    const auth = new Authenticator(undefined, [async () => null]);
    expect(auth.required).toBe(true);
    expect(await auth.authenticate(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(await auth.authenticate('Basic abc')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('takes the first alternative that knows the token, past one that throws', async () => {
    const calls: string[] = [];
    const auth = new Authenticator(undefined, [
      async () => {
        calls.push('jwt');
        throw new Error('bad signature');
      },
      async (token) => {
        calls.push('other');
        return token === 'good' ? (principal('svc') as never) : null;
      },
    ]);
    const result = await auth.authenticate('Bearer good');
    expect(result.ok && result.principal.name).toBe('svc');
    expect(calls).toEqual(['jwt', 'other']);
  });

  it('refuses an unknown token as invalid, carrying the first alternative’s error as a BrutalistError', async () => {
    const auth = new Authenticator(undefined, [
      async () => {
        throw new BrutalistError('UNAUTHENTICATED', 'The token expired.', { data: { reason: 'expired' } });
      },
      async () => {
        throw new Error('second');
      },
    ]);
    const result = await auth.authenticate('Bearer nope');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe('invalid');
    expect(!result.ok && result.error?.message).toBe('The token expired.');
    const plain = await new Authenticator(undefined, [
      async () => Promise.reject(new Error('x')),
    ]).authenticate('Bearer nope');
    expect(!plain.ok && plain.error?.code).toBe('INTERNAL_ERROR');
    expect(await new Authenticator(undefined, [async () => null]).authenticate('Bearer nope')).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });
});
