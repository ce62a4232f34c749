/** Reading an incoming request: which API it is, the model it names, and the prompt text it carries. */
import type { StubApi } from './types.js';

export interface Route {
  readonly api: StubApi | 'other';
  /** Gemini encodes the model and the method in the path. */
  readonly pathModel?: string;
  readonly geminiMethod?: 'streamGenerateContent' | 'generateContent' | 'countTokens';
}

const GEMINI_PATH =
  /^\/v1(?:beta|alpha)?\/models\/([^/:]+):(streamGenerateContent|generateContent|countTokens)$/;

export function route(method: string, url: string): Route {
  const path = url.split('?')[0] ?? '';
  if (method !== 'POST') return { api: 'other' };
  if (/^\/v1\/messages$/.test(path)) return { api: 'anthropic' };
  if (/^\/v1\/responses$/.test(path)) return { api: 'openai' };
  const g = GEMINI_PATH.exec(path);
  if (g) {
    return {
      api: 'gemini',
      pathModel: decodeURIComponent(g[1]!),
      geminiMethod: g[2] as NonNullable<Route['geminiMethod']>,
    };
  }
  return { api: 'other' };
}

/** Every string found under text-bearing keys, depth-first; enough to find a marker in any of the APIs. */
function collectText(value: unknown, out: string[], depth = 0): void {
  if (depth > 12 || value === null || value === undefined) return;
  if (typeof value === 'string') {
    out.push(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectText(v, out, depth + 1);
    return;
  }
  if (typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      // Tool schemas are long and never hold the prompt.
      if (key === 'tools' || key === 'input_schema' || key === 'parameters') continue;
      if (
        typeof v === 'string' &&
        !['text', 'content', 'input_text', 'system', 'instructions'].includes(key)
      ) {
        continue;
      }
      collectText(v, out, depth + 1);
    }
  }
}

export function promptTextOf(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const b = body as Record<string, unknown>;
  const out: string[] = [];
  for (const key of ['system', 'instructions', 'systemInstruction', 'messages', 'input', 'contents']) {
    collectText(b[key], out);
  }
  return out.join('\n');
}

export function modelOf(body: unknown, r: Route): string | undefined {
  if (r.pathModel) return r.pathModel;
  if (typeof body === 'object' && body !== null) {
    const m = (body as Record<string, unknown>).model;
    if (typeof m === 'string') return m;
  }
  return undefined;
}

export function wantsStream(body: unknown, r: Route, url: string): boolean {
  if (r.api === 'gemini') return r.geminiMethod === 'streamGenerateContent' || url.includes('alt=sse');
  return typeof body === 'object' && body !== null && (body as Record<string, unknown>).stream === true;
}
