// Tool answers built by src/mcp: the error's cause line, the error result's text and data, and slo_report's formats.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { callSloReport } from '../../src/mcp/admin-tools.js';
import { causeLine, formatError } from '../../src/mcp/index.js';
import { buildSloReport } from '../../src/observability/index.js';
import { createStateStore } from '../../src/state/index.js';

describe('causeLine', () => {
  it('joins exit class and detail, or gives either alone', () => {
    expect(causeLine({ exitClass: 'exit:1', detail: 'boom' })).toBe('exit:1: boom');
    expect(causeLine({ detail: 'boom' })).toBe('boom');
    expect(causeLine({ exitClass: 'timeout' })).toBe('timeout');
  });

  it('says nothing for "unavailable" alone, an empty detail, or no cause at all', () => {
    expect(causeLine({ exitClass: 'unavailable' })).toBeUndefined();
    expect(causeLine({ detail: '' })).toBeUndefined();
    expect(causeLine({ exitClass: 7, detail: 9 })).toBeUndefined();
  });
});

describe('formatError', () => {
  it('marks a retryable error, gives its cause and the request id, and scrubs host paths', () => {
    const err = new BrutalistError('CLI_FAILED', 'critic failed in /home/alice/project', {
      data: { exitClass: 'exit:2', detail: 'see /home/alice/project/log' },
    });
    const result = formatError(err, { roots: ['/home/alice/project'], env: {}, requestId: 'req-1' });
    const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
    expect(result.isError).toBe(true);
    expect(text.split('\n')[0]).toMatch(/^Error CLI_FAILED( \(retryable\))?: /);
    expect(text).toContain('Cause: exit:2: ');
    expect(text).toContain('Request id: req-1');
    expect(text).not.toContain('/home/alice/project');
    expect(result.structuredContent).toMatchObject({
      status: 'error',
      error: { code: 'CLI_FAILED', data: { requestId: 'req-1' } },
    });
  });

  it('has no cause or request-id line when the error carries neither', () => {
    const result = formatError(new BrutalistError('INVALID_ARGUMENT', 'bad'), { roots: [], env: {} });
    const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
    expect(text).toBe('Error INVALID_ARGUMENT: bad');
  });
});

describe('callSloReport', () => {
  const report = async () => {
    const config = resolveConfig({ overrides: { stateStore: 'memory' } });
    const store = createStateStore(config, { env: {}, clock: new ManualClock(0), log: () => {} });
    try {
      return await buildSloReport(config, store);
    } finally {
      await store.close();
    }
  };

  it('answers markdown by default, with no structured content', async () => {
    const result = await callSloReport(undefined, report);
    expect(result.structuredContent).toBeUndefined();
    expect(result.content[0]?.type).toBe('text');
  });

  it('answers JSON text and the same object as structured content for format json', async () => {
    const result = await callSloReport({ format: 'json' }, report);
    const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
    expect(JSON.parse(text)).toEqual(result.structuredContent);
  });

  it('refuses another format as INVALID_ARGUMENT on format, without building the report', async () => {
    let built = 0;
    const err = await callSloReport({ format: 'yaml' }, async () => {
      built++;
      return report();
    }).catch((e: unknown) => e);
    expect(isBrutalistError(err) && err.code).toBe('INVALID_ARGUMENT');
    expect(isBrutalistError(err) && err.data.field).toBe('format');
    expect(built).toBe(0);
  });
});
