/** Parses `brutalist-mcp roast …` into tool arguments, turning every mistake into a usage error that names the fix. */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DOMAIN_IDS, DOMAINS } from '../domains/index.js';
import { CRITIC_NAMES } from '../engine/config.js';
import { BrutalistError } from '../errors/index.js';

const byKind = (kind: 'filesystem' | 'abstract') =>
  DOMAINS.filter((d) => d.kind === kind)
    .map((d) => d.id)
    .join(', ');

export const ROAST_USAGE = `Usage: brutalist-mcp roast <domain> [options]

Domains:
  read files at --target (default: the current directory):
    ${byKind('filesystem')}
  critique the material in --context:
    ${byKind('abstract')}

Options:
  --target PATH         filesystem domains: the file or folder to critique, relative to the current
                        directory (the only allowed root besides BRUTALIST_ROOTS); abstract: a title
  --context TEXT        abstract domains: the material; filesystem domains: background. "-" reads stdin
  --context-file FILE   read --context from FILE
  --cli CRITIC          ${CRITIC_NAMES.join(', ')} or the id of a routed client from the config file
                        (BRUTALIST_ROUTED_CLIENTS); repeat to run several in parallel (default: the first available)
  --client JSON         a routed critic for this run only, as the \`clients\` tool argument takes it:
                        '{"id":"glm","provider":"claude","baseUrl":"https://…","authTokenEnv":"GLM_TOKEN","model":"glm-4.6"}'
                        (repeatable; authTokenEnv must be allowed in BRUTALIST_ROUTED_TOKEN_ENVS)
  --model CRITIC=MODEL  model for one critic, e.g. --model claude=opus (repeatable)
  --fresh               ignore the cache and run the critics again
  --json                print one JSON object {contextId, text, meta} on stdout, nothing else
  --verbose             add run details (CLI version, argv, exit, usage) to the critique
  -h, --help            this help

Progress goes to stderr; Ctrl-C cancels. Exit status: 0 done, 1 the critique failed, 2 bad usage or input.
`;

/** A mistake on the command line: printed with a pointer to the usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The subcommand whose --help the message points to. */
  readonly command: string;
  constructor(message: string, command = 'roast') {
    super(message);
    this.command = command;
  }
}

export interface ParsedRoast {
  readonly help: boolean;
  /** Raw `roast` tool arguments (validated again by the tool schema). */
  readonly toolArgs: Record<string, unknown>;
  readonly json: boolean;
}

const OPTIONS = {
  target: { type: 'string' },
  context: { type: 'string' },
  'context-file': { type: 'string' },
  cli: { type: 'string', multiple: true },
  client: { type: 'string', multiple: true },
  model: { type: 'string', multiple: true },
  fresh: { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** node:util's messages are long and mention positionals; ours name the option and what it needs. */
function usageFromParseError(err: unknown): UsageError {
  const e = err as { code?: string; message?: string };
  const option = /'(?:-\w, )?(-{1,2}[^' <]+)/.exec(e.message ?? '')?.[1] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${option}`);
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(e.message ?? '')) return new UsageError(`${option} takes no value`);
    return new UsageError(
      `${option} needs a value${option === '--context' ? ' (text, or "-" to read stdin)' : ''}`,
    );
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return new UsageError(e.message ?? 'unexpected argument');
  throw err;
}

function parseModels(
  pairs: readonly string[],
  critics: readonly string[],
): Record<string, string> | undefined {
  const models: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const critic = eq > 0 ? pair.slice(0, eq) : pair;
    const model = eq > 0 ? pair.slice(eq + 1) : '';
    if (!critics.includes(critic)) {
      throw new UsageError(`--model ${pair}: the critic must be one of ${critics.join(', ')}`);
    }
    if (model === '')
      throw new UsageError(`--model ${pair}: give the model as ${critic}=MODEL, e.g. ${critic}=opus`);
    models[critic] = model;
  }
  return Object.keys(models).length > 0 ? models : undefined;
}

/** `--client JSON`: parsed here, checked by the tool's `clients` schema (the same rules as an MCP call's). */
function parseClients(values: readonly string[] | undefined): unknown[] | undefined {
  return values?.map((value) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw new UsageError(
        `--client ${value.slice(0, 40)}: give one JSON object, e.g. '{"id":"glm","provider":"claude","baseUrl":"https://…","authTokenEnv":"GLM_TOKEN","model":"glm-4.6"}'`,
      );
    }
  });
}

function readContext(value: string | undefined, file: string | undefined, stdin: () => string) {
  if (value !== undefined && file !== undefined)
    throw new UsageError('give --context or --context-file, not both');
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : 'cannot read it';
      throw new UsageError(`--context-file ${file}: ${why}`);
    }
  }
  return value === '-' ? stdin() : value;
}

/**
 * Parses argv after `roast`; `critics` are the names `--cli` and `--model` accept (the native CLIs and the config
 * file's routed client ids). Filesystem targets are checked against `cwd` here (the caller makes `cwd` the first
 * root, so the engine resolves a relative target the same way), so a missing path is reported as missing (the server's rule — anything unresolvable outside the roots is PATH_OUTSIDE_ROOT, to be no existence
 * oracle for remote callers — protects nothing from the person at the terminal).
 */
export function parseRoastArgs(
  args: readonly string[],
  cwd: string,
  stdin: () => string,
  critics: readonly string[] = CRITIC_NAMES,
): ParsedRoast {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>
  >;
  try {
    parsed = parseArgs({ args: [...args], allowPositionals: true, options: OPTIONS });
  } catch (err) {
    throw usageFromParseError(err);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true, toolArgs: {}, json: false };
  const [domainId, ...extra] = positionals;
  if (domainId === undefined) throw new UsageError(`which domain? One of: ${DOMAIN_IDS.join(', ')}`);
  const domain = DOMAINS.find((d) => d.id === domainId);
  if (!domain)
    throw new UsageError(`unknown domain "${domainId}"; the domains are: ${DOMAIN_IDS.join(', ')}`);
  if (extra.length > 0)
    throw new UsageError(`unexpected argument "${extra[0]}" (quote text given to --context)`);
  for (const name of values.cli ?? []) {
    if (!critics.includes(name)) throw new UsageError(`--cli ${name}: the critics are ${critics.join(', ')}`);
  }
  let target = values.target;
  if (domain.kind === 'filesystem') {
    target ??= '.';
    const absolute = isAbsolute(target) ? target : resolve(cwd, target);
    if (!existsSync(absolute)) {
      throw new BrutalistError('PATH_NOT_FOUND', `The path does not exist: --target ${target}`, {
        data: { field: 'target' },
      });
    }
  }
  const context = readContext(values.context, values['context-file'], stdin);
  if (domain.kind === 'abstract' && context === undefined) {
    throw new UsageError(
      `${domain.id} critiques the material you give: --context TEXT, --context-file FILE or --context -`,
    );
  }
  return {
    help: false,
    json: values.json === true,
    toolArgs: {
      domain: domain.id,
      target,
      context,
      clis: values.cli,
      clients: parseClients(values.client),
      models: parseModels(values.model ?? [], critics),
      force_refresh: values.fresh,
      verbose: values.verbose,
    },
  };
}
