// deploy/: the Prometheus rules and the Grafana dashboard name only metrics the server exports, and promtool
// accepts the rules and passes their unit tests (when promtool is installed; .ci/run installs it).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { createObservability, RUNBOOKS } from '../../src/observability/index.js';

const DEPLOY = resolve(import.meta.dirname, '../../deploy');
const RULES = ['prometheus/brutalist.rules.yml', 'prometheus/brutalist.alerts.yml'].map((f) =>
  join(DEPLOY, f),
);
const DASHBOARD = join(DEPLOY, 'grafana/brutalist-dashboard.json');
const promtool = spawnSync('promtool', ['--version']).status === 0;

/** Every metric family the server registers (process defaults included), with histogram series suffixes. */
async function exportedNames(): Promise<Set<string>> {
  const obs = createObservability(resolveConfig({}), { tools: ['roast'] });
  const families = await obs.metrics.registry.getMetricsAsJSON();
  await obs.close();
  const names = new Set<string>();
  for (const f of families) {
    names.add(f.name);
    // prom-client's typings say a numeric enum; at run time the type is the exposition's string.
    if (String(f.type) === 'histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(f.name + s);
  }
  return names;
}

function referenced(text: string): string[] {
  // Metric names (not recording-rule names, which hold a colon).
  return [...text.matchAll(/(?<![:\w])((?:brutalist|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1]!);
}

describe('deploy/', () => {
  it('names only metrics the server exports', async () => {
    const names = await exportedNames();
    const files = [...RULES, DASHBOARD];
    const unknown = files.flatMap((f) => referenced(readFileSync(f, 'utf8')).filter((n) => !names.has(n)));
    expect([...new Set(unknown)]).toEqual([]);
    expect(names.has('brutalist_requests_total')).toBe(true);
  });

  it('has a dashboard with unique panel ids and a query in every panel', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: Array<{ id: number; type: string; targets?: Array<{ expr: string }> }>;
    };
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.targets?.length ?? 0).toBeGreaterThan(0);
      for (const t of panel.targets ?? []) expect(t.expr).toMatch(/\w/);
    }
  });

  it('links a runbook section that exists for every alert, in deploy/ and in the engine', () => {
    const operations = readFileSync(resolve(DEPLOY, '../docs/operations.md'), 'utf8');
    const anchors = new Set(
      [...operations.matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const alerts = readFileSync(RULES[1]!, 'utf8');
    const links = [...alerts.matchAll(/runbook_url: "docs\/operations\.md#([\w-]+)"/g)].map((m) => m[1]!);
    // The in-process engine's alerts (log lines, slo report) link the same sections.
    links.push(...Object.values(RUNBOOKS).map((r) => r.replace('docs/operations.md#', '')));
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((a) => !anchors.has(a))).toEqual([]);
  });

  it.skipIf(!promtool)('passes promtool check rules and the rules unit tests', () => {
    const check = spawnSync('promtool', ['check', 'rules', ...RULES], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const testsDir = join(DEPLOY, 'prometheus/tests');
    const tests = readdirSync(testsDir).map((f) => join(testsDir, f));
    const unit = spawnSync('promtool', ['test', 'rules', ...tests], { encoding: 'utf8' });
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
  });
});
