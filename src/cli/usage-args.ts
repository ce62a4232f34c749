/** Parses `brutalist-mcp usage [--since 7d] [--json]`; every mistake is an INVALID_ARGUMENT naming the fix. */
import { parseArgs } from 'node:util';
import { BrutalistError } from '../errors/index.js';

export const USAGE_USAGE = `Usage: brutalist-mcp usage [--since 7d|36h|YYYY-MM-DD] [--caller NAME] [--json]
Usage per caller and UTC day from the state store: critic runs, reported tokens and cost, and what budgets count.
--since   how far back: days (7d, default), hours (36h: from that hour's UTC day) or a UTC date; at most
          usageRetentionDays back
--caller  only this caller (stdio is "local")
--json    machine-readable output
`;

export interface UsageArgs {
  readonly help: boolean;
  readonly json: boolean;
  /** Start of the first UTC day shown, on the clock. */
  readonly fromMs: number;
  readonly caller: string | undefined;
}

const DAY_MS = 86_400_000;
const SINCE_RE = /^(?:(\d{1,5})([dh])|(\d{4}-\d{2}-\d{2}))$/;

const invalid = (message: string, field = 'since') =>
  new BrutalistError('INVALID_ARGUMENT', message, { data: { field } });

/** `--since` as the start of its UTC day; refused when malformed, in the future, or past `retentionDays`. */
export function sinceMs(value: string, nowMs: number, retentionDays: number): number {
  const m = SINCE_RE.exec(value.trim());
  if (!m)
    throw invalid(
      `--since must be Nd, Nh or YYYY-MM-DD (e.g. 7d), got ${JSON.stringify(value.slice(0, 40))}.`,
    );
  let at: number;
  if (m[3]) {
    at = Date.parse(`${m[3]}T00:00:00Z`);
    if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== m[3]) {
      throw invalid(`--since ${m[3]} is not a calendar date.`);
    }
  } else {
    const n = Number(m[1]);
    if (n < 1) throw invalid('--since must be at least 1d or 1h.');
    // 1d = today only; 7d = today and the six days before it.
    at = m[2] === 'd' ? nowMs - (n - 1) * DAY_MS : nowMs - n * 3_600_000;
  }
  const from = Math.floor(at / DAY_MS) * DAY_MS;
  if (from > nowMs) throw invalid('--since lies in the future.');
  const oldest = (Math.floor(nowMs / DAY_MS) - retentionDays) * DAY_MS;
  if (from < oldest) {
    throw invalid(`--since reaches back further than usage is kept (usageRetentionDays = ${retentionDays}).`);
  }
  return from;
}

export function parseUsageArgs(argv: readonly string[], nowMs: number, retentionDays: number): UsageArgs {
  let values: { since?: string; json?: boolean; help?: boolean; caller?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        since: { type: 'string' },
        caller: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    const option = /'(?:-\w, )?(-{1,2}[^' <]+)/.exec((err as Error).message ?? '')?.[1];
    throw invalid(
      option ? `usage does not take ${option} that way.` : 'usage takes only options.',
      'arguments',
    );
  }
  return {
    help: values.help === true,
    json: values.json === true,
    fromMs: sinceMs(values.since ?? '7d', nowMs, retentionDays),
    caller: values.caller,
  };
}
