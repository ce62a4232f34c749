// Enforces the dependency direction of shared/DESIGN.md: a module imports only from lower layers (or its own folder).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Layer rank per top-level folder; equal ranks are peers and may not import each other. */
const RANK: Record<string, number> = {
  infra: 0,
  errors: 1,
  config: 2,
  security: 3,
  state: 3,
  process: 3,
  resilience: 3,
  streaming: 3,
  critics: 4,
  domains: 4,
  findings: 4,
  engine: 5,
  observability: 5,
  mcp: 6,
  http: 6,
  queue: 6,
  transport: 7,
  cli: 8,
  'cli.ts': 9,
  'index.ts': 8,
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : full.endsWith('.ts') ? [full] : [];
  });
}

function layerOf(file: string): string {
  return relative(SRC, file).split(sep)[0]!;
}

const files = walk(SRC);
const importPattern =
  /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(importPattern)].map((m) => (m[1] ?? m[2])!);
}

describe('layering', () => {
  it('knows the layer of every source folder', () => {
    const unknown = [...new Set(files.map(layerOf))].filter((l) => RANK[l] === undefined);
    expect(unknown).toEqual([]);
  });

  it('never imports upward or sideways across layers', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const to = layerOf(resolve(file, '..', spec));
        if (to === from) continue;
        if (RANK[to]! >= RANK[from]!) violations.push(`${relative(SRC, file)} -> ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('spawns subprocesses only in process/', () => {
    const offenders = files.filter(
      (f) =>
        layerOf(f) !== 'process' &&
        importsOf(f).some((s) => s === 'node:child_process' || s === 'child_process'),
    );
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('reads the wall clock only in infra/', () => {
    const offenders = files.filter(
      (f) => layerOf(f) !== 'infra' && /\bDate\.now\(\)/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('keeps the MCP SDK out of the layers below mcp/', () => {
    const offenders = files.filter(
      (f) =>
        RANK[layerOf(f)]! < RANK.mcp! && importsOf(f).some((s) => s.startsWith('@modelcontextprotocol/')),
    );
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('keeps the metrics library in observability/: the core publishes events, it never imports prom-client', () => {
    const offenders = files.filter(
      (f) =>
        layerOf(f) !== 'observability' &&
        importsOf(f).some((s) => s === 'prom-client' || s.startsWith('prom-client/')),
    );
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('keeps the tracing SDK in observability/: the core marks trace steps (infra/trace.ts), it never imports OpenTelemetry', () => {
    const offenders = files.filter(
      (f) => layerOf(f) !== 'observability' && importsOf(f).some((s) => s.startsWith('@opentelemetry/')),
    );
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });
});
