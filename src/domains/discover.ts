/** Domain discovery: deterministic keyword and phrase scoring of a free-text intent against the catalog. */
import { DOMAIN_IDS, DOMAINS, type Domain, type DomainId } from './catalog.js';

export interface DiscoverSuggestion {
  readonly domain: DomainId;
  readonly score: number;
  readonly why: string;
  readonly example: { readonly tool: 'roast'; readonly arguments: Readonly<Record<string, string>> };
}

export const DEFAULT_DISCOVER_LIMIT = 3;

/** Points per match. A keyword is a deliberate signal; title and summary words are weaker hints. */
const WEIGHT = { keyword: 2, title: 1, summary: 0.5, phraseWord: 1 } as const;

const STOPWORDS = new Set(
  (
    'a an and are as at be but by can could do does for from has have how i if in into is it its me my of on or ' +
    'our so that the their them there these this to us was we what when where which who why will with would you ' +
    'your all any some about check review look see want need please help make get'
  ).split(' '),
);

/** Light suffix stripping so "attacks", "commits" and "outdated" meet their keywords; applied to both sides. */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  // A final silent e goes too, so "scale"/"scaling" and "price"/"pricing" share a stem.
  if (w.length > 4 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

interface DomainIndex {
  readonly domain: Domain;
  /** stem → weight of its strongest source. */
  readonly single: ReadonlyMap<string, number>;
  /** Multi-word keywords as stem sequences, with the original phrase for explanations. */
  readonly phrases: ReadonlyArray<{ readonly stems: readonly string[]; readonly text: string }>;
}

function indexDomain(domain: Domain): DomainIndex {
  const single = new Map<string, number>();
  const add = (word: string, weight: number) => {
    const stemmed = stem(word);
    if (STOPWORDS.has(word) || STOPWORDS.has(stemmed)) return;
    single.set(stemmed, Math.max(single.get(stemmed) ?? 0, weight));
  };
  const phrases: Array<{ stems: string[]; text: string }> = [];
  for (const keyword of domain.keywords) {
    const parts = words(keyword);
    if (parts.length === 1) add(parts[0]!, WEIGHT.keyword);
    else if (parts.length > 1) phrases.push({ stems: parts.map(stem), text: keyword });
  }
  for (const w of words(domain.title)) add(w, WEIGHT.title);
  for (const w of words(domain.summary)) add(w, WEIGHT.summary);
  return { domain, single, phrases };
}

const INDEX: readonly DomainIndex[] = DOMAINS.map(indexDomain);

function containsSequence(haystack: readonly string[], needle: readonly string[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function score(entry: DomainIndex, tokens: readonly string[], originals: ReadonlyMap<string, string>) {
  let total = 0;
  const matched: string[] = [];
  for (const [stemmed, original] of originals) {
    const weight = entry.single.get(stemmed);
    if (weight !== undefined) {
      total += weight;
      matched.push(`"${original}"`);
    }
  }
  for (const phrase of entry.phrases) {
    if (containsSequence(tokens, phrase.stems)) {
      total += WEIGHT.phraseWord * phrase.stems.length;
      matched.push(`"${phrase.text}"`);
    }
  }
  return { total, matched };
}

/** Code-ish intents fall back to codebase: code words, a path with a slash, or a source-file name. */
const CODE_HINT =
  /\b(code|codebase|repo|repository|source|src|file|files|function|class|module|bug)\b|[\w.~-]*\/[\w./-]+|\b[\w-]+\.(ts|tsx|js|jsx|mjs|py|go|rs|java|rb|php|cs|cpp|c|h|kt|swift|sh)\b/i;

function exampleArguments(domain: Domain): Record<string, string> {
  return domain.kind === 'filesystem'
    ? { domain: domain.id, target: '.' }
    : { domain: domain.id, context: `<describe ${domain.inputHint}>` };
}

function suggestion(domain: Domain, points: number, why: string): DiscoverSuggestion {
  return {
    domain: domain.id,
    score: Math.round(points * 100) / 100,
    why,
    example: { tool: 'roast', arguments: exampleArguments(domain) },
  };
}

/**
 * The best-matching domains for an intent, highest score first (ties keep catalog order). Never empty: with no
 * match it suggests `codebase` for code-looking intents and `idea` otherwise.
 */
export function discover(intent: string, limit = DEFAULT_DISCOVER_LIMIT): DiscoverSuggestion[] {
  const cap = Number.isFinite(limit)
    ? Math.min(Math.max(Math.floor(limit), 1), DOMAIN_IDS.length)
    : DEFAULT_DISCOVER_LIMIT;
  const raw = words(intent);
  const tokens = raw.map(stem);
  const originals = new Map<string, string>();
  raw.forEach((w, i) => {
    const s = tokens[i]!;
    if (!STOPWORDS.has(w) && !STOPWORDS.has(s) && !originals.has(s)) originals.set(s, w);
  });

  const ranked = INDEX.map((entry, order) => ({ entry, order, ...score(entry, tokens, originals) }))
    .filter((r) => r.total > 0)
    .sort((a, b) => b.total - a.total || a.order - b.order)
    .slice(0, cap);
  if (ranked.length > 0) {
    return ranked.map((r) => suggestion(r.entry.domain, r.total, `Matched ${r.matched.join(', ')}.`));
  }
  const fallback = DOMAINS.find((d) => d.id === (CODE_HINT.test(intent) ? 'codebase' : 'idea'))!;
  return [
    suggestion(
      fallback,
      0,
      `No domain keyword matched; ${fallback.id === 'codebase' ? 'the intent mentions code or files' : 'treating it as an idea to reality-check'}.`,
    ),
  ];
}
