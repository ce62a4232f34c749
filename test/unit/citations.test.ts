import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRoastPrompt, parseCitations } from '../../src/domains/index.js';
import { citationReport, recheckCitations, visibleText } from '../../src/engine/citations.js';
import { systemClock } from '../../src/infra/index.js';

describe('parseCitations', () => {
  it('reads each tag kind with its source, quote or reason', () => {
    const { citations } = parseCitations(
      'a [VERIFIED: https://x.example/a | "exact words"] b [SUPPLIED: clause 4 | “curly quote”] c [UNVERIFIED: paywalled]',
    );
    expect(citations).toEqual([
      { kind: 'verified', source: 'https://x.example/a', quote: 'exact words' },
      { kind: 'supplied', source: 'clause 4', quote: 'curly quote' },
      { kind: 'unverified', reason: 'paywalled' },
    ]);
  });

  it('counts authorities on lines without a tag as untagged, and not those beside a tag', () => {
    const text = [
      'Per 15 U.S.C. § 45 [VERIFIED: https://law.example/45 | "unfair methods"].',
      'Smith v. Jones settles it; see also CVE-2024-3094, RFC 9110 and Doe et al. (2021).',
      'Plain prose with no authority.',
    ].join('\n');
    expect(parseCitations(text).counts).toEqual({ verified: 1, supplied: 0, unverified: 0, untagged: 4 });
  });

  it('does not take a malformed tag (no quote) for a verified one', () => {
    expect(parseCitations('[VERIFIED: https://x.example/]').counts.verified).toBe(0);
  });
});

describe('the citation rule in the prompt', () => {
  it.each(['legal', 'research', 'security'] as const)('is given to %s critics', (domain) => {
    expect(buildRoastPrompt({ domain, context: 'x' })).toContain('[VERIFIED: <url> | "<verbatim quote>"]');
  });
  it('is not given to other domains', () => {
    expect(buildRoastPrompt({ domain: 'idea', context: 'x' })).not.toContain('[VERIFIED:');
  });
});

describe('recheckCitations against a loopback page', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        req.url === '/law'
          ? '<html><script>var hidden = "not visible";</script><p>Fines up to&nbsp;<b>4 %</b> of turnover.</p></html>'
          : 'other',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const config = (networks: string[]) => ({
    urlAllowedNetworks: networks,
    urlFetchTimeoutMs: 5_000,
    urlFetchMaxBytes: 100_000,
    urlFetchMaxRedirects: 2,
    citationRecheck: true,
    citationRecheckMax: 2,
  });

  it('confirms a quote on the page, flags one that is not, and leaves those past the bound unchecked', async () => {
    const text = [
      `[VERIFIED: ${base}/law | "Fines up to 4 % of turnover."]`,
      `[VERIFIED: ${base}/law | "not visible"]`,
      `[VERIFIED: ${base}/law | "third one"]`,
    ].join('\n');
    const texts = [{ critic: 'claude', text }];
    const report = await recheckCitations(citationReport(texts), texts, config(['127.0.0.0/8']), systemClock);
    expect(report.recheck).toEqual({ checked: 2, confirmed: 1, unconfirmed: 1, notChecked: 1 });
    expect(report.unconfirmed).toEqual([
      { critic: 'claude', url: `${base}/law`, reason: 'quote_not_on_page' },
    ]);
  });

  it('never fetches a loopback url the allowlist does not hold: url_blocked', async () => {
    const texts = [{ critic: 'codex', text: `[VERIFIED: ${base}/law | "Fines"]` }];
    const report = await recheckCitations(citationReport(texts), texts, config([]), systemClock);
    expect(report.unconfirmed).toEqual([{ critic: 'codex', url: `${base}/law`, reason: 'url_blocked' }]);
  });

  it('reads the visible text only: scripts dropped, entities decoded, spaces folded', () => {
    expect(visibleText('<p>A&nbsp;&amp;\n B</p><script>x()</script>')).toBe('a & b');
  });
});
