/** Tool definitions: zod input schemas (compatible with the earlier tools), their JSON Schemas, and argument parsing. */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { EVIDENCE_SERVER_NAME } from '../config/options-evidence.js';
import { ROUTED_ID_RE } from '../config/options-routed.js';
import { DOMAIN_IDS, DOMAINS, type DomainField } from '../domains/index.js';
import { CRITIC_NAMES, OPTIONS, PRIORITY_NAMES } from '../engine/config.js';
import type { DebateArgs, RoastArgs } from '../engine/index.js';
import { BrutalistError } from '../errors/index.js';
import { resultOutputSchema } from './result-schema.js';
import { budgetArgsShape } from './usage-schema.js';

/**
 * The text bounds the schemas advertise and enforce: the configured maxContextChars (long text) and maxFieldChars
 * (short text). The engine checks them again, with the totals across a field's strings.
 */
export interface ToolLimits {
  readonly maxContextChars: number;
  readonly maxFieldChars: number;
}

/** A critic: a native CLI, or a routed client's id (config file or `clients`); the engine checks which. */
const critic = z
  .string()
  .regex(ROUTED_ID_RE)
  .describe(`A critic CLI (${CRITIC_NAMES.join(', ')}) or a routed client id.`);
/** Most entries in `models`: every native critic and the most routed clients a call may name. */
const MAX_MODEL_ENTRIES = CRITIC_NAMES.length + 64;
const models = z
  .record(critic, z.string().min(1).max(128))
  .refine((m) => Object.keys(m).length <= MAX_MODEL_ENTRIES, {
    error: `at most ${MAX_MODEL_ENTRIES} entries`,
  })
  .describe(
    'Model per critic (native name or routed client id), e.g. {"claude": "opus"}; omitted critics use their configured or CLI default.',
  );

/**
 * Routed critics for this call, the earlier version's shape: claude through an Anthropic-compatible gateway. The
 * token is never sent: `authTokenEnv` names a server env variable the operator allowlisted (routedTokenEnvs). A
 * `configDir` here is ignored (only the config file may set one).
 */
const clients = z
  .array(z.looseObject({ id: critic }))
  .max(64)
  .optional()
  .describe(
    'Extra critics through Anthropic-compatible gateways: [{id, provider: "claude", baseUrl, authTokenEnv, model, smallFastModel?}]. Added to `clis`; with `clis: []` only these run. authTokenEnv must be a variable the server allows.',
  );

const priority = z
  .enum(PRIORITY_NAMES)
  .optional()
  .describe(
    'Admission priority when critics are busy: critical, interactive, default (the usual default) or batch; batch is shed first under load.',
  );

const paging = {
  offset: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Character offset into an earlier result (with context_id).'),
  limit: z
    .number()
    .int()
    .min(1_000)
    .max(100_000)
    .optional()
    .describe('Page size in characters (1000..100000). Long results are paged automatically.'),
  cursor: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Opaque cursor from a previous page: returns the next page.'),
  context_id: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Id of an earlier critique: alone, waits for it while it runs and returns it; with offset/limit a page of it; with cancel stops it; with resume (roast) continues the conversation.',
    ),
  cancel: z.boolean().optional().describe('With context_id: stop that running critique.'),
};

/** Evidence servers by name (the config file defines them; a call can only name them). */
const mcpServers = z
  .array(z.string().regex(EVIDENCE_SERVER_NAME))
  .max(8)
  .optional()
  .describe(
    'Evidence MCP servers the critics may use (claude only, for now): `playwright` (a browser under the URL policy) or a server from the config file. design with `url` adds playwright.',
  );

/** What a domain field may hold on the wire. */
type FieldSchema = z.ZodType<RoastArgs['fields'][string]>;

function fieldSchema(field: DomainField, limits: ToolLimits): FieldSchema {
  switch (field.type) {
    case 'integer': {
      const [min, max] = field.range ?? [0, 1_000_000];
      return z.number().int().min(min).max(max);
    }
    case 'boolean':
      return z.boolean();
    default:
      if (field.choices) return z.enum(field.choices);
      // The engine checks every domain field against maxFieldChars (only context, topic and positions are long).
      return z.string().max(limits.maxFieldChars);
  }
}

/** The union of every domain's optional fields; a name shared by domains keeps its first definition. */
function domainFieldShape(limits: ToolLimits): Record<string, FieldSchema> {
  const shape: Record<string, FieldSchema> = {};
  for (const domain of DOMAINS) {
    for (const field of domain.fields) {
      if (shape[field.name]) continue;
      shape[field.name] = fieldSchema(field, limits)
        .optional()
        .describe(`(${domain.id}${sharedBy(field.name)}) ${field.description}`);
    }
  }
  return shape;
}

function sharedBy(name: string): string {
  const users = DOMAINS.filter((d) => d.fields.some((f) => f.name === name)).map((d) => d.id);
  return users.length > 1 ? `, ${users.slice(1).join(', ')}` : '';
}

const roastSchema = (limits: ToolLimits) =>
  z
    .object({
      domain: z
        .enum(DOMAIN_IDS)
        .optional()
        .describe(
          `Required for a new critique (not for a follow-up by cursor or context_id). ${DOMAINS.map((d) => `${d.id}: ${d.summary}`).join('; ')}`,
        ),
      target: z
        .string()
        .max(limits.maxFieldChars)
        .optional()
        .describe(
          'Filesystem domains: a path inside the allowed roots (the critic reads it, read-only). Abstract: a title.',
        ),
      context: z
        .string()
        .max(limits.maxContextChars)
        .optional()
        .describe(
          'Abstract domains: the material to critique (required). Filesystem domains: background. On resume: the follow-up.',
        ),
      clis: z
        .array(critic)
        .max(CRITIC_NAMES.length + 64)
        .optional()
        .describe(
          'Critics to run in parallel (CLI names or routed client ids); default: one, the first available. `[]` with `clients`: only the clients.',
        ),
      clients,
      models: models.optional(),
      mcp_servers: mcpServers,
      resume: z
        .boolean()
        .optional()
        .describe('Continue the conversation of context_id with the same critic(s).'),
      force_refresh: z.boolean().optional().describe('Ignore the cache and run the critics again.'),
      priority,
      verbose: z
        .boolean()
        .optional()
        .describe('Add run details (CLI version, argv, exit, usage) to the result.'),
      ...budgetArgsShape,
      ...paging,
      ...domainFieldShape(limits),
    })
    .strict();

const debateSchema = (limits: ToolLimits) =>
  z
    .object({
      topic: z
        .string()
        .min(1)
        .max(limits.maxContextChars)
        .optional()
        .describe('What the debate is about (required for a new debate, with both positions).'),
      proPosition: z
        .string()
        .min(1)
        .max(limits.maxContextChars)
        .optional()
        .describe('The position the first critic defends.'),
      conPosition: z
        .string()
        .min(1)
        .max(limits.maxContextChars)
        .optional()
        .describe('The position the second critic defends.'),
      context: z
        .string()
        .max(limits.maxContextChars)
        .optional()
        .describe('Background material both critics see.'),
      agents: z
        .array(critic)
        .min(2)
        .max(2)
        .optional()
        .describe(
          'Exactly two critics: [pro, con] (CLI names or routed client ids). Default: the first two available.',
        ),
      clients,
      rounds: z
        .number()
        .int()
        .min(1)
        .max(3)
        .optional()
        .describe('1 = opening statements only; 2-3 add rebuttal rounds.'),
      models: models.optional(),
      mcp_servers: mcpServers,
      force_refresh: z.boolean().optional(),
      verbose: z.boolean().optional(),
      priority,
      ...budgetArgsShape,
      ...paging,
    })
    .strict();

const discoverSchema = (limits: ToolLimits) =>
  z
    .object({
      intent: z
        .string()
        .min(1)
        .max(limits.maxContextChars)
        .describe('What you want critiqued, in your own words.'),
      limit: z.number().int().min(1).max(13).optional().describe('How many suggestions (default 3).'),
    })
    .strict();

const rosterSchema = z.object({}).strict();

const READ_ONLY = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true,
} as const;

function define(
  name: string,
  title: string,
  description: string,
  schema: z.ZodType,
  options: { idempotent?: boolean; outputSchema?: Tool['outputSchema']; asTask?: boolean } = {},
): Tool {
  const inputSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Tool['inputSchema'];
  delete (inputSchema as { $schema?: unknown }).$schema;
  return {
    name,
    title,
    description,
    inputSchema,
    ...(options.outputSchema ? { outputSchema: options.outputSchema } : {}),
    // Clients with MCP tasks may run it as a task; the others call it as always.
    ...(options.asTask ? { execution: { taskSupport: 'optional' as const } } : {}),
    annotations: { ...READ_ONLY, idempotentHint: options.idempotent === true },
  };
}

/** Every roast and debate result (done, running, cancelled, error) fits this one schema. */
const RESULT_SCHEMA = resultOutputSchema();

/** The tools with schemas bounded by `limits`; the server builds them from its resolved config. */
const built = new WeakMap<ToolLimits, ReturnType<typeof buildTools>>();

/**
 * The tools for these limits, built once per config: every session's server shares them (immutable schemas and
 * definitions). Building them costs ~350 KB of heap, which per HTTP session was most of an idle session's memory.
 */
export function toolsFor(limits: ToolLimits): ReturnType<typeof buildTools> {
  let tools = built.get(limits);
  if (!tools) {
    tools = buildTools(limits);
    built.set(limits, tools);
  }
  return tools;
}

export function buildTools(limits: ToolLimits) {
  const roast = roastSchema(limits);
  const debate = debateSchema(limits);
  const discover = discoverSchema(limits);
  return {
    roast: {
      schema: roast,
      /** The domain fields alone (unknown keys dropped): how `fields` is read from validated arguments. */
      fields: z.object(domainFieldShape(limits)),
      definition: define(
        'roast',
        'Roast',
        'Brutally honest critique by the AI coding CLIs on this machine (claude, codex, gemini). Filesystem domains ' +
          '(codebase, file_structure, dependencies, git_history, test_coverage) take `target`, a path the critic reads ' +
          'read-only; the other domains take `context`, the material to critique. Long critiques are paged (follow the cursor). ' +
          'A critique still running after a while answers "running" with a context_id: call again with just that context_id to wait for it.',
        roast,
        { outputSchema: RESULT_SCHEMA, asTask: true },
      ),
    },
    roast_cli_debate: {
      schema: debate,
      definition: define(
        'roast_cli_debate',
        'CLI debate',
        'Two critics argue opposite positions: blind opening statements in parallel, then rebuttal rounds. ' +
          'Paged and waited on like roast (cursor, context_id).',
        debate,
        { outputSchema: RESULT_SCHEMA, asTask: true },
      ),
    },
    brutalist_discover: {
      schema: discover,
      definition: define(
        'brutalist_discover',
        'Discover domains',
        'Which roast domain(s) fit what you want critiqued, with example calls.',
        discover,
        { idempotent: true },
      ),
    },
    cli_agent_roster: {
      schema: rosterSchema,
      definition: define(
        'cli_agent_roster',
        'Critic roster',
        'Installed critic CLIs: availability, versions and default models.',
        rosterSchema,
        { idempotent: true },
      ),
    },
  } as const;
}

export type Tools = ReturnType<typeof buildTools>;

/** The tools as a server with the default configuration advertises them. */
export const TOOLS: Tools = buildTools({
  maxContextChars: OPTIONS.maxContextChars.default,
  maxFieldChars: OPTIONS.maxFieldChars.default,
});

export type ToolName = keyof typeof TOOLS;

export type ParsedToolArgs =
  | { tool: 'roast'; args: RoastArgs }
  | { tool: 'roast_cli_debate'; args: DebateArgs }
  | { tool: 'brutalist_discover'; args: z.infer<ReturnType<typeof discoverSchema>> }
  | { tool: 'cli_agent_roster'; args: Record<string, never> };

/** Validates arguments; failures become INVALID_ARGUMENT naming the field and the rule (never echoing the value). */
export function parseToolArgs(tool: ToolName, raw: unknown, tools: Tools = TOOLS): ParsedToolArgs {
  switch (tool) {
    case 'roast': {
      const data = check(tools.roast.schema, raw);
      // The domain fields travel flat on the wire and grouped in `fields` inside (only the ones given).
      const given = Object.entries(tools.roast.fields.parse(data)).filter(([, value]) => value !== undefined);
      return { tool, args: { ...data, fields: Object.fromEntries(given) } };
    }
    case 'roast_cli_debate':
      return { tool, args: check(tools.roast_cli_debate.schema, raw) };
    case 'brutalist_discover':
      return { tool, args: check(tools.brutalist_discover.schema, raw) };
    case 'cli_agent_roster':
      return { tool, args: check(tools.cli_agent_roster.schema, raw) };
  }
}

function check<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || '(arguments)';
  // A string over its bound (the configured text limit) keeps the engine's code and data.
  if (issue?.code === 'too_big' && issue.origin === 'string') {
    const actual = stringAt(raw, issue.path);
    throw new BrutalistError('INPUT_TOO_LARGE', undefined, {
      data: { field, limit: Number(issue.maximum), ...(actual === undefined ? {} : { actual }) },
    });
  }
  const rule =
    issue?.code === 'unrecognized_keys'
      ? `unknown argument(s): ${issue.keys.join(', ')}`
      : (issue?.message ?? 'invalid');
  throw new BrutalistError('INVALID_ARGUMENT', `Invalid argument ${field}: ${rule}`, { data: { field } });
}

/** The length of the string at `path` in the raw arguments, if one is there. */
function stringAt(raw: unknown, path: readonly PropertyKey[]): number | undefined {
  let value: unknown = raw;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return typeof value === 'string' ? value.length : undefined;
}
