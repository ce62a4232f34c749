/** Fuzz: cursor decoding accepts exactly the cursors signed for the caller, unexpired, with valid claims; nothing else. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CursorClaims, signCursor, verifyCursor } from '../../src/engine/cursors.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { useFuzzSeed } from '../support/fuzz.js';

useFuzzSeed('cursors');

const SECRET = 'fuzz-secret';
const OWNER = 'owner-a';
const NOW = 1_700_000_000_000;

const contextId = fc.stringMatching(/^[A-Za-z0-9_-]{8,128}$/);
const validClaims = fc.record({
  contextId,
  offset: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  limit: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  expiresAt: fc.integer({ min: NOW + 1, max: NOW + 10 ** 12 }),
});

/** Anything a claims field could be made to hold by someone who could sign (we use the real signer). */
const anyValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(-1),
  fc.constant(0),
  fc.constant(Number.MAX_SAFE_INTEGER + 2),
);

function isValid(claims: Record<string, unknown>): boolean {
  const { contextId: c, offset: o, limit: l, expiresAt: e } = claims;
  return (
    typeof c === 'string' &&
    /^[A-Za-z0-9_-]{8,128}$/.test(c) &&
    Number.isSafeInteger(o) &&
    (o as number) >= 0 &&
    Number.isSafeInteger(l) &&
    (l as number) >= 1 &&
    typeof e === 'number' &&
    e > NOW
  );
}

/** Runs verifyCursor and reduces the outcome to the claims or the error code; any other throw fails the test. */
function outcome(cursor: string, owner = OWNER): CursorClaims | string {
  try {
    return verifyCursor(SECRET, owner, cursor, NOW);
  } catch (err) {
    expect(isBrutalistError(err)).toBe(true);
    return (err as { code: string }).code;
  }
}

describe('cursor decoding under fuzz', () => {
  it('round-trips every valid claim set for its owner and refuses it for any other owner', () => {
    fc.assert(
      fc.property(validClaims, fc.string({ minLength: 1, maxLength: 30 }), (claims, other) => {
        const cursor = signCursor(SECRET, OWNER, claims);
        expect(outcome(cursor)).toEqual(claims);
        if (other !== OWNER) expect(outcome(cursor, other)).toBe('INVALID_CURSOR');
      }),
    );
  });

  it('accepts a signed cursor exactly when its claims are valid and unexpired', () => {
    const claims = fc.record({
      contextId: fc.oneof(contextId, anyValue),
      offset: anyValue,
      limit: anyValue,
      expiresAt: fc.oneof(fc.integer({ min: NOW - 1000, max: NOW + 1000 }), anyValue),
    });
    fc.assert(
      fc.property(claims, (c) => {
        const cursor = signCursor(SECRET, OWNER, c as unknown as CursorClaims);
        const result = outcome(cursor);
        // Compared as JSON carries them (-0 travels as 0).
        if (isValid(c)) expect(result).toEqual(JSON.parse(JSON.stringify(c)));
        else expect(result).toBe('INVALID_CURSOR');
      }),
    );
  });

  it('turns every edit of a valid cursor (change, insert, delete, truncate) into INVALID_CURSOR', () => {
    const edit = fc.tuple(
      fc.constantFrom('change', 'insert', 'delete', 'truncate'),
      fc.nat(),
      fc.string({ minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(validClaims, edit, (claims, [kind, at, ch]) => {
        const cursor = signCursor(SECRET, OWNER, claims);
        const i = at % cursor.length;
        const edited =
          kind === 'change'
            ? cursor.slice(0, i) + ch + cursor.slice(i + 1)
            : kind === 'insert'
              ? cursor.slice(0, i) + ch + cursor.slice(i)
              : kind === 'delete'
                ? cursor.slice(0, i) + cursor.slice(i + 1)
                : cursor.slice(0, i);
        fc.pre(edited !== cursor);
        expect(outcome(edited)).toBe('INVALID_CURSOR');
      }),
    );
  });

  it('answers arbitrary text, cursor-shaped or not, with INVALID_CURSOR and nothing else', () => {
    const shaped = fc
      .tuple(fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), fc.stringMatching(/^[A-Za-z0-9_-]{22}$/))
      .map(([p, m]) => `c_${p}.${m}`);
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 60 }), shaped),
        (t) => {
          expect(outcome(t)).toBe('INVALID_CURSOR');
        },
      ),
      // Kept regression examples: near-misses of the format.
      {
        examples: [
          ['c_'],
          ['c_.'],
          ['c_AAAAAAAA.'],
          [`c_${'A'.repeat(257)}.${'A'.repeat(22)}`],
          ['c_e30.AAAAAAAAAAAAAAAAAAAAAA'],
        ],
      },
    );
  });
});
