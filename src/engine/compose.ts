/** Turns critic outcomes into the markdown a client shows. */
import type { CriticOutcome } from './critic-runs.js';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function composeCritique(title: string, outcomes: readonly CriticOutcome[], verbose: boolean): string {
  const parts: string[] = [`# ${title}`];
  const several = outcomes.length > 1;
  for (const o of outcomes) {
    if (o.ok) {
      const r = o.result;
      const head = [r.critic, r.model, seconds(r.durationMs)].filter(Boolean).join(' · ');
      if (several || verbose) parts.push(`## ${head}`);
      parts.push(r.text.trim() || '_(the critic returned an empty critique)_');
      if (r.truncated) parts.push(`> **Truncated:** the critic's output passed the output cap and was cut.`);
      if (verbose) {
        parts.push(
          [
            '<details><summary>run details</summary>',
            '',
            `- CLI: ${r.critic} ${r.cliVersion ?? '(version unknown)'}`,
            `- argv: \`${r.argv.join(' ')}\``,
            `- exit: ${r.exitClass}, ${r.outputBytes} bytes, ${seconds(r.durationMs)}`,
            `- prompt sha256: ${r.promptSha256}`,
            r.usage ? `- usage: ${JSON.stringify(r.usage)}` : '- usage: not reported',
            '</details>',
          ].join('\n'),
        );
      }
    } else {
      parts.push(`## ${o.critic} · failed: ${o.error.code}`, o.error.message);
    }
  }
  return `${parts.join('\n\n')}\n`;
}
