/** What every vendor adapter shares: the adapter's common parts, the `--model` flag and token totals. */
import { isAbsolute } from 'node:path';
import { assertSafeModel, classifyRun, isSafeModel, parseSemver } from './classify.js';
import { compact } from './jsonl.js';
import { type OutputParser, parseAll, type StreamLimits } from './stream.js';
import type { CriticAdapter, TokenUsage } from './types.js';

/** The parts a vendor must write; `classifyFailure` defaults to the shared classifier without hints. */
export interface AdapterParts
  extends Pick<
    CriticAdapter,
    | 'name'
    | 'options'
    | 'settings'
    | 'configPaths'
    | 'login'
    | 'progress'
    | 'envAllowlist'
    | 'envDenylist'
    | 'buildInvocation'
  > {
  readonly openParser: (limits: StreamLimits) => OutputParser;
  readonly classifyFailure?: CriticAdapter['classifyFailure'];
  /** Default true. */
  readonly readOnly?: boolean;
  readonly launch?: CriticAdapter['launch'];
  readonly locate?: CriticAdapter['locate'];
  readonly doctorWarnings?: CriticAdapter['doctorWarnings'];
  readonly webFetchProxied?: CriticAdapter['webFetchProxied'];
  /** Default: a plain identifier (letters, digits and . _ : / @ [ ] -). */
  readonly acceptsModel?: CriticAdapter['acceptsModel'];
  /** Default: the first semver in the `--version` output. */
  readonly parseVersion?: CriticAdapter['parseVersion'];
}

/** An adapter from its vendor parts: `--version` probe, semver, whole-output parsing over the stream parser. */
export function defineAdapter(parts: AdapterParts): CriticAdapter {
  const { openParser, classifyFailure, readOnly, acceptsModel, parseVersion, ...own } = parts;
  return {
    ...own,
    readOnly: readOnly ?? true,
    acceptsModel: acceptsModel ?? isSafeModel,
    versionArgs: ['--version'],
    parseVersion: parseVersion ?? parseSemver,
    openParser,
    parseOutput: (stdout: string) => parseAll(openParser, stdout),
    classifyFailure: classifyFailure ?? ((run, parsed) => classifyRun(run, parsed)),
  };
}

/** An env value that is an absolute path, else undefined (a relative one would follow the run's cwd). */
export function absolutePath(value: string | undefined): string | undefined {
  return value && isAbsolute(value) ? value : undefined;
}

/** A service-account key file named by GOOGLE_APPLICATION_CREDENTIALS, which Google and Vertex logins read. */
export function googleKeyFile(env: Readonly<Record<string, string>>): string[] {
  const keyFile = absolutePath(env.GOOGLE_APPLICATION_CREDENTIALS);
  return keyFile ? [keyFile] : [];
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
