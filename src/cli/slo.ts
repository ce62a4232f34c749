/** `brutalist-mcp slo report [--json]`: the SLOs, error budgets, burn rates and firing alerts from the state store. */
import type { Config } from '../config/index.js';
import { systemClock } from '../infra/index.js';
import { buildSloReport, formatSloReport } from '../observability/index.js';
import { createStateStore } from '../state/index.js';

export const SLO_USAGE = 'Usage: brutalist-mcp slo report [--json]\n';

/** Exit 0 with the report; 2 on a usage mistake. The store's own errors propagate (the CLI maps them to exit 1). */
export async function sloCommand(
  config: Config,
  args: readonly string[],
  out: { write(text: string): void },
  err: { write(text: string): void },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [sub, ...flags] = args;
  const json = flags.includes('--json');
  if (sub !== 'report' || flags.some((f) => f !== '--json')) {
    err.write(SLO_USAGE);
    return 2;
  }
  const store = createStateStore(config, { env, clock: systemClock, log: (line) => err.write(`${line}\n`) });
  try {
    const report = await buildSloReport(config, store);
    out.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatSloReport(report));
    return 0;
  } finally {
    await store.close();
  }
}
