import { describe, expect, it } from 'vitest';
import { DOMAIN_IDS, discover, getDomain, stem } from '../../src/domains/index.js';

describe('discover', () => {
  it.each([
    ['is my auth safe from injection attacks', 'security'],
    ['review my commits', 'git_history'],
    ['npm packages outdated', 'dependencies'],
    ['will users pay for this app', 'product'],
    ['kubernetes cluster costs', 'infrastructure'],
    ['GDPR terms of service', 'legal'],
    ['are our unit tests flaky and is coverage too low', 'test_coverage'],
    ['the folder layout and file naming are a mess', 'file_structure'],
    ['is our event sourcing architecture going to scale', 'architecture'],
    ['reviewers will attack the statistics in our paper', 'research'],
    ['check the contrast and typography of my landing page', 'design'],
    ['a startup idea: uber for dog walking', 'idea'],
    ['refactor this typescript codebase', 'codebase'],
  ])('ranks the right domain first for "%s"', (intent, expected) => {
    expect(discover(intent)[0]?.domain).toBe(expected);
  });

  it('explains each suggestion with the words it matched', () => {
    const [top] = discover('is my auth safe from injection attacks');
    expect(top?.why).toContain('"injection"');
    expect(top?.why).toContain('"attacks"');
    expect(top?.score).toBeGreaterThan(0);
  });

  it('credits a multi-word phrase only when its words appear together', () => {
    const together = discover('our terms of service', 13).find((s) => s.domain === 'legal');
    const apart = discover('terms we offer as a service', 13).find((s) => s.domain === 'legal');
    expect(together?.why).toContain('"terms of service"');
    expect(apart?.why).not.toContain('"terms of service"');
    expect(together!.score).toBeGreaterThan(apart!.score);
  });

  it('orders suggestions by score and returns at most `limit` (default 3)', () => {
    const all = discover('security architecture of our kubernetes infrastructure and api design', 13);
    expect(all.length).toBeGreaterThan(3);
    const scores = all.map((s) => s.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(discover('security architecture of our kubernetes infrastructure and api design')).toHaveLength(3);
    expect(discover('security architecture of our kubernetes infrastructure', 1)).toHaveLength(1);
  });

  it('clamps a nonsensical limit to a usable one', () => {
    expect(discover('security', 0)).toHaveLength(1);
    expect(discover('security', -5)).toHaveLength(1);
    expect(discover('security infrastructure architecture', Number.NaN).length).toBeLessThanOrEqual(3);
    expect(discover('security infrastructure architecture design code', 999).length).toBeLessThanOrEqual(
      DOMAIN_IDS.length,
    );
  });

  it('falls back to idea for abstract text that matches nothing', () => {
    const result = discover('hello there');
    expect(result).toHaveLength(1);
    expect(result[0]?.domain).toBe('idea');
    expect(result[0]?.score).toBe(0);
  });

  it('falls back to codebase when the intent points at code or a path', () => {
    expect(discover('look at ./lib/parser')[0]?.domain).toBe('codebase');
    expect(discover('what about main.py')[0]?.domain).toBe('codebase');
  });

  it('always returns at least one suggestion, even for empty or symbol-only intents', () => {
    for (const intent of ['', '   ', '???', '🙂']) {
      expect(discover(intent).length).toBeGreaterThanOrEqual(1);
    }
  });

  it('gives a filesystem example with target "." and an abstract example with a context placeholder', () => {
    const [fs] = discover('npm packages outdated');
    expect(fs?.example).toEqual({ tool: 'roast', arguments: { domain: 'dependencies', target: '.' } });
    const [abstract] = discover('kubernetes cluster costs');
    expect(abstract?.example.tool).toBe('roast');
    expect(abstract?.example.arguments.domain).toBe('infrastructure');
    expect(abstract?.example.arguments.context).toBe(`<describe ${getDomain('infrastructure').inputHint}>`);
    expect(abstract?.example.arguments.target).toBeUndefined();
  });

  it('is deterministic and case-insensitive', () => {
    expect(discover('KUBERNETES Cluster COSTS')).toEqual(discover('kubernetes cluster costs'));
  });
});

describe('stem', () => {
  it.each([
    ['attacks', 'attack'],
    ['commits', 'commit'],
    ['dependencies', 'dependency'],
    ['testing', 'test'],
    ['scaling', 'scal'],
    ['scale', 'scal'],
    ['outdated', 'outdat'],
    ['access', 'access'],
    ['analysis', 'analysis'],
    ['aws', 'aws'],
  ])('stems %s to %s', (word, expected) => {
    expect(stem(word)).toBe(expected);
  });
});
