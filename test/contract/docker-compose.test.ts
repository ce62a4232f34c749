// docker-compose.yml is not run here (no Docker engine): this checks its syntax and that every name it uses exists.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPTIONS } from '../../src/engine/config.js';

const compose = parse(readFileSync(resolve(import.meta.dirname, '../../docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, { command: string[]; environment: Record<string, string> }> };

const knownEnv = new Set(Object.values(OPTIONS).map((spec) => spec.env));

describe('docker-compose.yml', () => {
  it('has a front, two workers and Redis', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['front', 'redis', 'worker-1', 'worker-2']);
    expect(compose.services.front?.command).toContain('serve');
    expect(compose.services['worker-1']?.command).toContain('worker');
    expect(compose.services['worker-2']?.command).toContain('worker');
  });

  it('sets only BRUTALIST_* variables from the config table, queue execution on Redis for every instance', () => {
    for (const name of ['front', 'worker-1', 'worker-2']) {
      const env = compose.services[name]?.environment ?? {};
      const unknown = Object.keys(env).filter((k) => !knownEnv.has(k));
      expect(unknown, name).toEqual([]);
      expect(env.BRUTALIST_EXECUTION, name).toBe('queue');
      expect(env.BRUTALIST_REDIS_URL, name).toMatch(/^redis:\/\/redis:/);
    }
  });
});
