/** Reading a result back from its head and apart-stored text: damaged or missing text reads as no result, never as a shorter one. */
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import {
  resultPart,
  type StoredResult,
  type StoredResultHead,
  splitResult,
  wholeResult,
} from '../../src/state/index.js';

const result: StoredResult = {
  contextId: 'ctx',
  owner: 'alice',
  text: 'hello world',
  meta: {},
  createdAt: 0,
};
const { head } = splitResult(result);
const legacyHead: StoredResultHead = { ...head, totalChars: undefined, text: 'hello world' };
const noLength: StoredResultHead = { contextId: 'ctx', owner: 'alice', meta: {}, createdAt: 0 };

describe('splitResult', () => {
  it('keeps the text apart and the length in the head', () => {
    expect(splitResult(result)).toEqual({ head: { ...noLength, totalChars: 11 }, text: 'hello world' });
  });

  it('refuses a result without a text string with INVALID_ARGUMENT', () => {
    let err: unknown;
    try {
      splitResult({ ...result, text: undefined } as unknown as StoredResult);
    } catch (e) {
      err = e;
    }
    expect(isBrutalistError(err) && err.code).toBe('INVALID_ARGUMENT');
  });
});

describe('wholeResult', () => {
  it('reads the text apart when it is exactly totalChars long', () => {
    expect(wholeResult(head, () => 'hello world')).toEqual(result);
  });

  it('reads a head written whole by an earlier version without reading apart', () => {
    let reads = 0;
    expect(wholeResult(legacyHead, () => `${reads++}`)?.text).toBe('hello world');
    expect(reads).toBe(0);
  });

  it('reads as no result when the text is gone, short, or the head has no length', () => {
    expect(wholeResult(head, () => undefined)).toBeNull();
    expect(wholeResult(head, () => 'hello')).toBeNull();
    expect(wholeResult(noLength, () => 'hello world')).toBeNull();
  });
});

describe('resultPart', () => {
  it('reads the clamped window in pieces', () => {
    expect(resultPart(head, 6, 99, () => ['wor', 'ld'])).toMatchObject({
      from: 6,
      text: 'world',
      totalChars: 11,
    });
  });

  it('cuts a window from a head written whole by an earlier version', () => {
    expect(resultPart(legacyHead, 0, 5, () => undefined)).toMatchObject({
      from: 0,
      text: 'hello',
      totalChars: 11,
    });
  });

  it('reads as no result when the window is gone, comes back short, or the head has no length', () => {
    expect(resultPart(head, 0, 5, () => undefined)).toBeNull();
    expect(resultPart(head, 0, 5, () => ['hel'])).toBeNull();
    expect(resultPart(noLength, 0, 5, () => ['hello'])).toBeNull();
  });
});
