/** Turns critic outcomes into the markdown a client shows. */
import type { CriticResult } from '../critics/index.js';
import type { CriticOutcome } from './critic-runs.js';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A collapsed block with how one critic run went: CLI version, argv, exit, prompt hash, usage. */
function runDetails(r: CriticResult, summary = 'run details'): string {
  return [
    `<details><summary>${summary}</summary>`,
    '',
    `- CLI: ${r.critic} ${r.cliVersion ?? '(version unknown)'}`,
    `- argv: \`${r.argv.join(' ')}\``,
    `- exit: ${r.exitClass}, ${r.outputBytes} bytes, ${seconds(r.durationMs)}`,
    `- prompt sha256: ${r.promptSha256}`,
    r.usage ? `- usage: ${JSON.stringify(r.usage)}` : '- usage: not reported',
    '</details>',
  ].join('\n');
}

/** The run details of every turn of a debate, in the order the turns finished (a `verbose` debate ends with them). */
export function composeTurnDetails(outcomes: readonly CriticOutcome[]): string {
  const blocks = outcomes.flatMap((o, i) =>
    o.ok ? [runDetails(o.result, `run details: turn ${i + 1}, ${o.critic}`)] : [],
  );
  return ['## Run details', ...blocks].join('\n\n');
}

/** The critique: title, the findings table (when any critic returned a findings block), then each critic's prose. */
export function composeCritique(
  title: string,
  outcomes: readonly CriticOutcome[],
  verbose: boolean,
  findingsTable = '',
): string {
  const parts: string[] = [`# ${title}`];
  if (findingsTable !== '') parts.push(findingsTable);
  const several = outcomes.length > 1;
  for (const o of outcomes) {
    if (o.ok) {
      const r = o.result;
      const head = [r.critic, r.model, seconds(r.durationMs)].filter(Boolean).join(' · ');
      if (several || verbose) parts.push(`## ${head}`);
      // Before the text: a long critique's end may be pages away.
      if (r.truncated) parts.push(`> **Truncated:** the critic's output passed the output cap and was cut.`);
      parts.push(r.text.trim() || '_(the critic returned an empty critique)_');
      if (verbose) parts.push(runDetails(r));
    } else {
      parts.push(`## ${o.critic} · failed: ${o.error.code}`, o.error.message);
    }
  }
  return joinOnce(parts);
}

/**
 * The parts joined by blank lines, ending in a newline, as one flat string: the only copy of a long critique made
 * here. (A template literal around join() would leave a rope that the first slice copies whole again.)
 */
function joinOnce(parts: string[]): string {
  const last = parts.length - 1;
  parts[last] = `${parts[last] ?? ''}\n`;
  return parts.join('\n\n');
}
