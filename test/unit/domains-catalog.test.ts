import { describe, expect, it } from 'vitest';
import { DOMAIN_IDS, DOMAINS, type DomainId, getDomain, isDomainId } from '../../src/domains/index.js';
import { isBrutalistError } from '../../src/errors/index.js';

const FILESYSTEM = ['codebase', 'file_structure', 'dependencies', 'git_history', 'test_coverage'];

function sentences(text: string): number {
  return text.split(/(?<=[.!?])\s+(?=[A-Z])/).length;
}

describe('domain catalog', () => {
  it('lists the 13 domains of DOMAIN_IDS, in the same order, without duplicates', () => {
    expect(DOMAINS.map((d) => d.id)).toEqual([...DOMAIN_IDS]);
    expect(new Set(DOMAIN_IDS).size).toBe(13);
    expect(DOMAIN_IDS).toEqual(expect.arrayContaining(['design', 'legal', 'security', 'git_history']));
  });

  it('marks exactly codebase, file_structure, dependencies, git_history and test_coverage as filesystem', () => {
    expect(DOMAINS.filter((d) => d.kind === 'filesystem').map((d) => d.id)).toEqual(FILESYSTEM);
    expect(DOMAINS.filter((d) => d.kind === 'abstract')).toHaveLength(8);
  });

  it.each(DOMAIN_IDS)(
    '%s has a title, a one-line summary, a 2-4 sentence persona and an input hint',
    (id) => {
      const d = getDomain(id);
      expect(d.title.length).toBeGreaterThan(3);
      expect(d.summary).not.toContain('\n');
      expect(d.summary.length).toBeLessThanOrEqual(140);
      expect(sentences(d.persona)).toBeGreaterThanOrEqual(2);
      expect(sentences(d.persona)).toBeLessThanOrEqual(4);
      expect(d.inputHint.length).toBeGreaterThan(10);
    },
  );

  it.each(DOMAIN_IDS)('%s has non-empty, lower-case, unique keywords', (id) => {
    const { keywords } = getDomain(id);
    expect(keywords.length).toBeGreaterThan(5);
    for (const k of keywords) {
      expect(k).toBe(k.toLowerCase());
      expect(k.trim()).toBe(k);
      expect(k).not.toBe('');
    }
    expect(new Set(keywords).size).toBe(keywords.length);
  });

  it.each(DOMAIN_IDS)('%s has a brief with 6-10 checklist items and the four output sections', (id) => {
    const d = getDomain(id);
    expect(d.checklist.length).toBeGreaterThanOrEqual(6);
    expect(d.checklist.length).toBeLessThanOrEqual(10);
    expect(d.brief).toContain(d.focus);
    d.checklist.forEach((item, i) => {
      expect(d.brief).toContain(`${i + 1}. ${item}`);
    });
    for (const section of [
      'Verdict',
      'Findings, most severe first',
      'severity',
      'What is actually good',
      'Top 3 actions',
    ]) {
      expect(d.brief).toContain(section);
    }
  });

  it('asks filesystem critics for file paths and abstract critics for quotes as evidence', () => {
    expect(getDomain('codebase').brief).toContain('file path relative to the working directory');
    expect(getDomain('idea').brief).not.toContain('file path');
    expect(getDomain('idea').brief).toContain("user's material");
  });

  it.each(DOMAIN_IDS)(
    '%s declares at least one optional field, each with a unique name and a description',
    (id) => {
      const { fields } = getDomain(id);
      expect(fields.length).toBeGreaterThan(0);
      expect(new Set(fields.map((f) => f.name)).size).toBe(fields.length);
      for (const f of fields) {
        expect(f.name).toMatch(/^[a-z][A-Za-z]*$/);
        expect(f.description.length).toBeGreaterThan(5);
        if (f.type === 'integer') expect(f.range).toBeDefined();
        if (f.type === 'integer' || f.type === 'boolean') expect(f.maxChars).toBeUndefined();
      }
    },
  );

  it('keeps the argument names of the earlier tools so existing prompts keep working', () => {
    const names = new Set(DOMAINS.flatMap((d) => d.fields.map((f) => f.name)));
    const earlier = [
      'depth',
      'includeDevDeps',
      'commitRange',
      'runCoverage',
      'resources',
      'timeline',
      'scale',
      'constraints',
      'deployment',
      'field',
      'claims',
      'data',
      'assets',
      'threatModel',
      'compliance',
      'users',
      'competition',
      'metrics',
      'sla',
      'budget',
      'medium',
      'audience',
      'brand',
      'jurisdiction',
    ];
    expect(earlier.filter((n) => !names.has(n))).toEqual([]);
  });

  it('gives a field shared by several domains the same type everywhere (the MCP schema is their union)', () => {
    const types = new Map<string, string>();
    for (const d of DOMAINS) {
      for (const f of d.fields) {
        const type = `${f.type ?? 'string'}:${f.maxChars ?? ''}`;
        expect(types.get(f.name) ?? type, `${d.id}.${f.name}`).toBe(type);
        types.set(f.name, type);
      }
    }
  });

  it('records the earlier single-purpose tool of every domain that had one', () => {
    const legacy = DOMAINS.filter((d) => d.legacy).map((d) => d.legacy!.tool);
    expect(legacy).toHaveLength(11);
    expect(legacy).toContain('roast_security');
    expect(getDomain('security').legacy?.primaryArg).toBe('system');
    expect(getDomain('codebase').legacy?.primaryArg).toBe('targetPath');
  });

  it('is frozen so no caller can change a persona at runtime', () => {
    expect(Object.isFrozen(DOMAINS)).toBe(true);
    expect(Object.isFrozen(getDomain('idea'))).toBe(true);
    expect(Object.isFrozen(getDomain('idea').keywords)).toBe(true);
  });

  it('recognises domain ids and rejects anything else', () => {
    expect(isDomainId('legal')).toBe(true);
    expect(isDomainId('roast_idea')).toBe(false);
    expect(isDomainId(undefined)).toBe(false);
    expect(isDomainId('__proto__')).toBe(false);
  });

  it('throws INVALID_ARGUMENT listing the allowed ids for an unknown domain', () => {
    let caught: unknown;
    try {
      getDomain('astrology' as DomainId);
    } catch (err) {
      caught = err;
    }
    expect(isBrutalistError(caught)).toBe(true);
    if (!isBrutalistError(caught)) return;
    expect(caught.code).toBe('INVALID_ARGUMENT');
    expect(caught.message).not.toContain('astrology');
    expect(caught.data.allowed).toEqual([...DOMAIN_IDS]);
  });
});
