/** What every vendor adapter shares: the adapter's common parts, the `--model` flag and token totals. */
import type { CriticName } from '../config/index.js';
import { assertSafeModel, classifyRun, parseSemver } from './classify.js';
import { compact } from './jsonl.js';
import { type OutputParser, parseAll, type StreamLimits } from './stream.js';
import type { CriticAdapter, TokenUsage } from './types.js';

/** The parts a vendor must write; `classifyFailure` defaults to the shared classifier without hints. */
export interface AdapterParts {
  readonly name: CriticName;
  readonly envAllowlist: CriticAdapter['envAllowlist'];
  readonly buildInvocation: CriticAdapter['buildInvocation'];
  readonly openParser: (limits: StreamLimits) => OutputParser;
  readonly classifyFailure?: CriticAdapter['classifyFailure'];
}

/** An adapter from its vendor parts: `--version` probe, semver, whole-output parsing over the stream parser. */
export function defineAdapter(parts: AdapterParts): CriticAdapter {
  const { openParser } = parts;
  return {
    name: parts.name,
    envAllowlist: parts.envAllowlist,
    buildInvocation: parts.buildInvocation,
    versionArgs: ['--version'],
    parseVersion: parseSemver,
    openParser,
    parseOutput: (stdout: string) => parseAll(openParser, stdout),
    classifyFailure: parts.classifyFailure ?? ((run, parsed) => classifyRun(run, parsed)),
  };
}

/** `[flag, model]` for a model override after checking it cannot be read as an option; none without one. */
export function modelArgs(flag: string, model: string | undefined): string[] {
  if (!model) return [];
  assertSafeModel(model);
  return [flag, model];
}

/** Token usage with the total filled in when both input and output counts are known; absent fields dropped. */
export function tokenUsage(usage: Omit<TokenUsage, 'totalTokens'>): TokenUsage {
  const { inputTokens, outputTokens, cachedInputTokens, costUsd } = usage;
  const totalTokens =
    inputTokens !== undefined && outputTokens !== undefined ? inputTokens + outputTokens : undefined;
  // Field order as the vendors' JSON has always shown it.
  return compact({ inputTokens, outputTokens, cachedInputTokens, totalTokens, costUsd });
}
