/** Options of the evidence tools: the URL policy every fetch obeys, the browser server, user servers, citations. */
import { z } from 'zod';
import { bool, int, list, MIB, type OptionSpec, SECOND, str } from './spec.js';

/** One user-defined evidence MCP server (stdio): what its CLI config names; only the config file defines these. */
export const evidenceServerSchema = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).max(64).default([]),
    env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
  })
  .strict();
export type EvidenceServerSpec = z.infer<typeof evidenceServerSchema>;

/** Server names a tool call may give: short identifiers (they land in CLI tool names `mcp__<name>__…`). */
export const EVIDENCE_SERVER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

const servers: OptionSpec<Readonly<Record<string, EvidenceServerSpec>>> = {
  kind: 'string',
  env: 'BRUTALIST_EVIDENCE_SERVERS',
  default: {},
  description:
    'Extra evidence MCP servers critics may use when a call names them in `mcp_servers`, as a JSON object in the config file: {"name": {"command", "args", "env"}}. Never from tool arguments. `playwright` is built in.',
  schema: z
    .record(z.string().regex(EVIDENCE_SERVER_NAME), evidenceServerSchema, {
      error: 'a JSON object of {command, args, env} servers (config file only)',
    })
    .refine((value) => !('playwright' in value), { error: 'a table without `playwright` (built in)' })
    .readonly(),
};

export const EVIDENCE_OPTIONS = {
  urlAllowedNetworks: list(
    'BRUTALIST_URL_ALLOWED_NETWORKS',
    [],
    'CIDR blocks (e.g. 127.0.0.0/8, ::1/128, 10.1.0.0/16) that fetches and the evidence browser may reach although they are private, loopback, link-local or cloud-metadata addresses. Empty: public addresses only.',
  ),
  urlFetchTimeoutMs: int(
    'BRUTALIST_URL_FETCH_TIMEOUT_MS',
    10 * SECOND,
    100,
    120 * SECOND,
    'Deadline of one server-side fetch (a citation re-check), redirects included.',
  ),
  urlFetchMaxBytes: int(
    'BRUTALIST_URL_FETCH_MAX_BYTES',
    2 * MIB,
    1024,
    64 * MIB,
    'Most bytes of a page a server-side fetch reads; the rest is not downloaded.',
  ),
  urlFetchMaxRedirects: int(
    'BRUTALIST_URL_FETCH_MAX_REDIRECTS',
    3,
    0,
    10,
    'Redirects a server-side fetch follows, each target checked by the URL policy again.',
  ),
  evidenceServers: servers,
  playwrightChromiumPath: str(
    'BRUTALIST_PLAYWRIGHT_CHROMIUM_PATH',
    '/usr/bin/chromium',
    "The Chromium the built-in `playwright` evidence server drives (the machine's own; no browser is ever downloaded).",
  ),
  evidenceStartupTimeoutMs: int(
    'BRUTALIST_EVIDENCE_STARTUP_TIMEOUT_MS',
    60 * SECOND,
    SECOND,
    600 * SECOND,
    'How long codex waits for an evidence server to start and list its tools before the run fails (its `startup_timeout_sec`, whole seconds rounded up; the servers are required, so a critique never runs without them).',
  ),
  citationRecheck: bool(
    'BRUTALIST_CITATION_RECHECK',
    false,
    'Re-fetch each [VERIFIED: url | "quote"] citation of legal, research and security critiques under the URL policy and check the quote is on the page.',
  ),
  citationRecheckMax: int(
    'BRUTALIST_CITATION_RECHECK_MAX',
    10,
    1,
    100,
    'Most VERIFIED citations of one result re-fetched (the rest are reported unchecked).',
  ),
} as const;
