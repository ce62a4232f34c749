/** Findings as a SARIF 2.1.0 log (GitHub code scanning, IDE viewers); an unverified quote is never reported as fact. */
import type { Finding, Severity } from './types.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifOptions {
  readonly toolVersion: string;
  readonly informationUri?: string;
}

type SarifLevel = 'error' | 'warning' | 'note';

const LEVEL: Record<Severity, SarifLevel> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub's 0.0-10.0 `security-severity` scale, for the security-severity column of code scanning. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

/** A rule per category: a stable, URI-safe id. */
export function ruleIdOf(category: string): string {
  const slug = category
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `brutalist/${slug === '' ? 'general' : slug}`;
}

function messageOf(f: Finding): string {
  // The first line is what viewers show in lists: an unverified finding says so before anything else.
  const lead =
    f.verification === 'unverified'
      ? '[unverified: the quoted code was not found in the cited file; treat this as a lead, not a fact] '
      : '';
  const parts = [`${lead}${f.title}`, '', f.why];
  if (f.fix) parts.push('', `Fix: ${f.fix}`);
  parts.push('', `Detected by: ${f.detectedBy.join(', ')} (agreement ${Math.round(f.agreement * 100)}%).`);
  return parts.join('\n');
}

function locationsOf(f: Finding): unknown[] | undefined {
  if (f.file === null) return undefined;
  const region =
    f.line === null
      ? undefined
      : {
          startLine: f.line,
          ...(f.endLine !== null && f.endLine >= f.line ? { endLine: f.endLine } : {}),
          ...(f.quote && f.verification !== 'unverified' ? { snippet: { text: f.quote } } : {}),
        };
  return [
    {
      physicalLocation: {
        // Each segment encoded: a `#` or `?` in a file name is part of the name, not a fragment or query.
        artifactLocation: {
          uri: f.file.split('/').map(encodeURIComponent).join('/'),
          uriBaseId: '%SRCROOT%',
        },
        ...(region ? { region } : {}),
      },
    },
  ];
}

/** Findings → one SARIF run. Rules are the categories, sorted; results keep the findings' order. */
export function toSarif(findings: readonly Finding[], options: SarifOptions): Record<string, unknown> {
  const categories = [...new Set(findings.map((f) => ruleIdOf(f.category)))].sort();
  const rules = categories.map((id) => {
    const category = findings.find((f) => ruleIdOf(f.category) === id)?.category ?? id;
    return { id, name: id.slice('brutalist/'.length), shortDescription: { text: category } };
  });
  const results = findings.map((f) => {
    const unverified = f.verification === 'unverified';
    const locations = locationsOf(f);
    return {
      ruleId: ruleIdOf(f.category),
      ruleIndex: categories.indexOf(ruleIdOf(f.category)),
      // An unverified finding is demoted to a note and marked for human review, whatever its severity.
      level: unverified ? 'note' : LEVEL[f.severity],
      kind: unverified ? 'review' : 'fail',
      message: { text: messageOf(f) },
      ...(locations ? { locations } : {}),
      partialFingerprints: { 'brutalistFindingId/v1': f.id },
      properties: {
        severity: f.severity,
        verification: f.verification,
        fileChanged: f.fileChanged,
        detectedBy: [...f.detectedBy],
        agreement: f.agreement,
        ...(f.confidence === null ? {} : { confidence: f.confidence }),
        ...(unverified ? {} : { 'security-severity': SECURITY_SEVERITY[f.severity] }),
        tags: [f.category, unverified ? 'unverified' : 'verified-or-unchecked'],
      },
    };
  });
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'brutalist-mcp',
            version: options.toolVersion,
            ...(options.informationUri ? { informationUri: options.informationUri } : {}),
            rules,
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The repository root.' } } },
        results,
      },
    ],
  };
}
