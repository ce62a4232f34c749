/** Long critique texts for paging tests: deterministic and never repetitive (Gemini CLI stops on loops). */

const WORDS = [
  'latency',
  'schema',
  'cache',
  'retry',
  'index',
  'cursor',
  'deadline',
  'shard',
  'tenant',
  'quota',
  'backlog',
  'rollback',
  'migration',
  'replica',
  'timeout',
  'budget',
  'eviction',
  'leader',
  'fanout',
  'payload',
  'audit',
  'secret',
  'queue',
  'lock',
  'partition',
  'checksum',
  'journal',
  'breaker',
  'throttle',
  'manifest',
  'window',
];

/** `chars` characters (at least) of numbered lines of pseudo-random words; the same `seed` gives the same text. */
export function longCritique(chars: number, seed = 1): string {
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: cheap, deterministic, good enough to defeat repetition detectors.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % WORDS.length;
  };
  const lines: string[] = [];
  let length = 0;
  for (let n = 1; length < chars; n++) {
    const words: string[] = [];
    for (let i = 0; i < 12; i++) words.push(WORDS[next()]!);
    const line = `${String(n).padStart(6, '0')}. The ${words.join(' ')} is wrong.\n`;
    lines.push(line);
    length += line.length;
  }
  return lines.join('');
}
