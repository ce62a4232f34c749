// SARIF output checked against the vendored SARIF 2.1.0 JSON schema; unverified findings are never fact.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { ruleIdOf, toSarif } from '../../src/findings/sarif.js';
import { finding } from '../support/review.js';

const schema = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../fixtures/sarif/sarif-schema-2.1.0.json'), 'utf8'),
);
const ajv = new Ajv2020({ allErrors: true, strict: false });
// CommonJS default export: the plugin is module.exports.default under NodeNext typing.
const addFormats = (formats as unknown as { default: typeof formats.default }).default;
addFormats(ajv);
const validate = ajv.compile(schema);

function valid(log: unknown): boolean {
  const ok = validate(log);
  if (!ok) console.error(validate.errors);
  return ok;
}

type Result = {
  level: string;
  kind: string;
  message: { text: string };
  locations?: { physicalLocation: { region?: { snippet?: unknown } } }[];
  properties: Record<string, unknown>;
};
const resultsOf = (log: Record<string, unknown>) => (log.runs as { results: Result[] }[])[0]?.results ?? [];

describe('toSarif', () => {
  it('the schema rejects what is not SARIF (the validator can fail)', () => {
    expect(validate({ version: '2.1.0', runs: [{ tool: {} }] })).toBe(false);
    expect(validate({ version: '2.0.0', runs: [] })).toBe(false);
  });

  it('is valid SARIF 2.1.0 with no findings', () => {
    expect(valid(toSarif([], { toolVersion: '1.2.3' }))).toBe(true);
  });

  it('is valid SARIF 2.1.0 for every severity, verification and shape of place', () => {
    const findings = [
      finding({ severity: 'critical', category: 'Security / Injection', endLine: 4 }),
      finding({ severity: 'medium', verification: 'reanchored', confidence: null }),
      finding({ severity: 'low', verification: 'unverified' }),
      finding({
        severity: 'info',
        verification: 'unchecked',
        file: null,
        line: null,
        quote: null,
        fix: null,
      }),
      finding({
        file: 'docs/a b#c.md',
        line: null,
        fileChanged: true,
        detectedBy: ['claude', 'codex'],
        agreement: 0.5,
      }),
    ];
    const log = toSarif(findings, {
      toolVersion: '1.2.3',
      informationUri: 'https://example.invalid/brutalist',
    });
    expect(valid(log)).toBe(true);
    expect(resultsOf(log).map((r) => r.level)).toEqual(['error', 'warning', 'note', 'note', 'error']);
  });

  it('demotes an unverified finding to a reviewable note, says so first, and never quotes it as the snippet', () => {
    const [result] = resultsOf(
      toSarif([finding({ severity: 'critical', verification: 'unverified' })], { toolVersion: '1' }),
    );
    expect(result?.level).toBe('note');
    expect(result?.kind).toBe('review');
    expect(result?.message.text.startsWith('[unverified')).toBe(true);
    expect(result?.properties.verification).toBe('unverified');
    expect(result?.properties.severity).toBe('critical');
    expect(result?.properties['security-severity']).toBeUndefined();
    expect(result?.locations?.[0]?.physicalLocation.region?.snippet).toBeUndefined();
  });

  it('gives a verified finding its snippet, fingerprint and rule', () => {
    const f = finding({ category: 'Error handling' });
    const log = toSarif([f], { toolVersion: '1' });
    const [result] = resultsOf(log) as (Result & {
      ruleId: string;
      partialFingerprints: Record<string, string>;
    })[];
    expect(result?.ruleId).toBe('brutalist/error-handling');
    expect(result?.partialFingerprints).toEqual({ 'brutalistFindingId/v1': f.id });
    expect(result?.locations?.[0]?.physicalLocation.region?.snippet).toEqual({ text: f.quote });
  });

  it('encodes each path segment of the artifact URI', () => {
    const [result] = resultsOf(
      toSarif([finding({ file: 'docs/a b#c.md' })], { toolVersion: '1' }),
    ) as unknown as {
      locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
    }[];
    expect(result?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('docs/a%20b%23c.md');
  });

  it('makes URI-safe rule ids, with a fallback for a category of symbols', () => {
    expect(ruleIdOf('SQL Injection!')).toBe('brutalist/sql-injection');
    expect(ruleIdOf('***')).toBe('brutalist/general');
  });
});
