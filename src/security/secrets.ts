/** Secret redaction: env values, well-known token shapes, credentials in key=value pairs, URLs and PEM blocks. */

export const REDACTED = '<redacted>';

// Env names that usually hold credentials. SESSION is left out on purpose: XDG_SESSION_TYPE=wayland
// and friends would blank out ordinary words everywhere.
const SECRET_ENV_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE/i;
const MIN_SECRET_ENV_VALUE_CHARS = 6;
// BRUTALIST_* values are ours and all treated as sensitive, but short ones (`claude`, `600000`) and
// flags are ordinary words that would otherwise be blanked out of every message.
const MIN_BRUTALIST_VALUE_CHARS = 8;
const PLAIN_SETTING = /^(?:\d+(?:\.\d+)?|true|false|yes|no|on|off)$/i;
const ABSOLUTE = /^(?:\/|[A-Za-z]:[\\/]|\\\\)/;

/** True when every delimited part is an absolute path: the path rules already handle those values. */
function onlyPaths(value: string): boolean {
  return value.split(/[:;,]/).every((part) => part.length === 0 || ABSOLUTE.test(part));
}

/**
 * Env values to blank out, longest first so a value that contains another is removed whole.
 * `credentialsOnly` keeps just the credential-named variables: critique text and client input use it, where
 * BRUTALIST_* settings (`interactive`, `drop-oldest`) are ordinary words that must survive.
 */
export function secretEnvValues(
  env: NodeJS.ProcessEnv,
  options: { credentialsOnly?: boolean } = {},
): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string') continue;
    if (SECRET_ENV_NAME.test(name) && value.length >= MIN_SECRET_ENV_VALUE_CHARS) values.add(value);
    else if (
      !options.credentialsOnly &&
      name.startsWith('BRUTALIST_') &&
      value.length >= MIN_BRUTALIST_VALUE_CHARS &&
      !PLAIN_SETTING.test(value) &&
      !onlyPaths(value)
    ) {
      values.add(value);
    }
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/** Literal replacement (split/join): linear in the text for each value, no regex built from env data. */
export function removeEnvValues(text: string, values: readonly string[], onRedact?: Counter): string {
  let out = text;
  for (const value of values) {
    if (!out.includes(value)) continue;
    const parts = out.split(value);
    onRedact?.(parts.length - 1);
    out = parts.join(REDACTED);
  }
  return out;
}

/** Told how many redactions a rule just made. */
export type Counter = (n: number) => void;

/** Removes PEM private-key blocks with indexOf scans (a lazy regex here would be quadratic on many BEGINs). */
function removePemBlocks(text: string, onRedact?: Counter): string {
  let from = 0;
  let out = '';
  for (;;) {
    const begin = text.indexOf('-----BEGIN ', from);
    if (begin < 0) break;
    const headerEnd = text.indexOf('-----', begin + 11);
    if (headerEnd < 0) break;
    if (!text.slice(begin, headerEnd).includes('PRIVATE KEY')) {
      out += text.slice(from, headerEnd);
      from = headerEnd;
      continue;
    }
    out += text.slice(from, begin) + REDACTED;
    onRedact?.(1);
    const end = text.indexOf('-----END ', headerEnd + 5);
    const endClose = end < 0 ? -1 : text.indexOf('-----', end + 9);
    if (endClose < 0) return out; // unterminated: everything after BEGIN may be key material
    from = endClose + 5;
  }
  return out + text.slice(from);
}

// Every pattern starts only where a token starts (the lookbehind) and ends on a greedy class run with
// nothing after it, so each character is examined a bounded number of times: linear, no backtracking blowup.
const TOKEN =
  /(?<![A-Za-z0-9_-])(sk-ant-|sk-|[sr]k_(?:live|test)_|AIza|ya29\.|gh[pousr]_|github_pat_|glpat-|xox[abposr]-|xapp-|npm_|hf_|bmk_|AKIA|ASIA)([A-Za-z0-9_-]+)/g;
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
const AUTH_SCHEME = /\b(Bearer|Basic)([ \t]+)([A-Za-z0-9._~+/=-]+)/gi;
const URL_USERINFO = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{1,31}:\/\/)([^\s/?#@<>"'`]{1,256})@/g;
const KEY_VALUE =
  /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{1,64})(["']?[ \t]{0,4}[:=][ \t]{0,4}["']?)([^\s"'`<>&,;()[\]{}]+)/g;

function minRest(prefix: string): number {
  switch (prefix) {
    case 'sk-ant-':
      return 8;
    case 'sk-':
      return 12;
    case 'AKIA':
    case 'ASIA':
      return 16;
    // Our own API keys (src/http/keys.ts): `bmk_` + 43 base64url characters; a cut one is still most of a key.
    case 'bmk_':
      return 32;
    case 'xoxa-':
    case 'xoxb-':
    case 'xoxp-':
    case 'xoxo-':
    case 'xoxs-':
    case 'xoxr-':
      return 10;
    default:
      return 20;
  }
}

/** Prefixes that also start ordinary identifiers (`hf_hub_download`): a token needs a digit or a capital. */
const IDENTIFIER_LIKE_PREFIXES = new Set(['hf_', 'npm_', 'bmk_']);

function isToken(prefix: string, rest: string): boolean {
  if (rest.length < minRest(prefix)) return false;
  // `sk-learn-compatible`: a bare sk- word needs a digit unless it is long enough to be a key anyway.
  if (prefix === 'sk-' && rest.length < 20 && !/[0-9]/.test(rest)) return false;
  if (IDENTIFIER_LIKE_PREFIXES.has(prefix) && !/[0-9A-Z]/.test(rest)) return false;
  return true;
}

function isAuthCredential(credential: string): boolean {
  // "Bearer authentication" and "Bearer /healthz" are prose; real credentials carry digits, or are long.
  return credential.length >= 8 && (/[0-9]/.test(credential) || credential.length >= 24);
}

const SECRET_KEY_NAME =
  /api[_-]?key|secret|token|passw(?:or)?d|pwd|credential|auth(?!or)|cookie|private[_-]?key|access[_-]?key|session[_-]?(?:id|key|token)|(?:^|[_.-])key$/i;
// Values that name a secret rather than hold one: type names, placeholders, env lookups, numbers (max_tokens: 4096).
const NOT_A_SECRET =
  /^(?:string|number|boolean|null|undefined|none|true|false|required|optional|object|any|bearer|basic|\d{1,11}|\$.*|process\.env.*|os\.environ.*|env\..*|this\..*|config\..*|options\..*)$/i;
const LONG_HEX = /^[0-9a-f]{32,}$/i;
const LONG_BASE64 = /^[A-Za-z0-9+/_-]{32,}={0,2}$/;
const MIN_HIGH_ENTROPY_CHARS = 20;
// Bits per character: random base62 of 20+ characters measures about 4.1-4.4; English words and
// identifiers stay under 3.5.
const MIN_ENTROPY_BITS_PER_CHAR = 4;

/** Shannon entropy of the value's characters, in bits per character. */
export function entropyBitsPerChar(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  const n = value.length;
  for (const c of counts.values()) bits -= (c / n) * Math.log2(c / n);
  return bits;
}

function looksRandom(value: string): boolean {
  if (LONG_HEX.test(value)) return true;
  return LONG_BASE64.test(value) && /[A-Z]/.test(value) && /[a-z]/.test(value) && /[0-9]/.test(value);
}

// URLs, paths (`/tmp/x-Ab3/f.pid`, `~/k`, `./a`) and dotted names (`pkg.Mod2.fn`, `a1B2.json`) are addresses,
// not keys: generated keys are base64 or base62 and have no dot (JWTs and `ya29.` tokens have their own rules).
const ADDRESS_LIKE = /:\/\/|^[/~.]|\./;

// `MARK-confined-claude-14789`, `build_2024_Linux`: words and numbers joined by separators are names. A generated
// key mixes letters and digits inside its runs.
const WORDS_AND_NUMBERS = /^(?:[A-Za-z]+|[0-9]+)(?:[-_](?:[A-Za-z]+|[0-9]+))+$/;

/** Mixed-case letters and digits with high entropy, not an address or a name: a generated key, whatever its name. */
function highEntropy(value: string): boolean {
  return (
    value.length >= MIN_HIGH_ENTROPY_CHARS &&
    !ADDRESS_LIKE.test(value) &&
    !WORDS_AND_NUMBERS.test(value) &&
    /[A-Z]/.test(value) &&
    /[a-z]/.test(value) &&
    /[0-9]/.test(value) &&
    entropyBitsPerChar(value) >= MIN_ENTROPY_BITS_PER_CHAR
  );
}

/**
 * Strict (error messages): a secret-named key with any value, or a random-looking value, is redacted.
 * Prose (critiques, client input): `Key: findings` and `commit: <40 hex>` are ordinary text, so a secret-named key
 * needs a credential-like value (8+ characters with letters and digits, or high entropy) and any other key a
 * high-entropy value.
 */
function isSecretAssignment(key: string, value: string, prose: boolean): boolean {
  if (NOT_A_SECRET.test(value)) return false;
  if (!prose) return (SECRET_KEY_NAME.test(key) && value.length >= 3) || looksRandom(value);
  if (highEntropy(value)) return true;
  if (!SECRET_KEY_NAME.test(key)) return false;
  return (value.length >= 8 && /[0-9]/.test(value) && /[A-Za-z]/.test(value)) || looksRandom(value);
}

export interface RedactOptions {
  /** The prose rules for `KEY: value` (see isSecretAssignment); default false (the strict error rules). */
  readonly prose?: boolean;
  /** Told about every redaction made. */
  readonly onRedact?: Counter;
}

/**
 * `text.replace(re, fn)` for a global `re` whose `redact` returns undefined to keep a match as it is: no new string
 * is built unless something is redacted (replace() with a callback builds one for every match, even a kept one,
 * which for a long critique full of `Key: value` prose is a copy of it and a heap of garbage).
 */
function replaceWhere(text: string, re: RegExp, redact: (m: RegExpExecArray) => string | undefined): string {
  let parts: string[] | undefined;
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) re.lastIndex++;
    const replacement = redact(m);
    if (replacement === undefined) continue;
    parts ??= [];
    parts.push(text.slice(last, m.index), replacement);
    last = m.index + m[0].length;
  }
  re.lastIndex = 0;
  if (!parts) return text;
  parts.push(text.slice(last));
  return parts.join('');
}

/** Redacts credentials that have a recognisable shape, wherever they appear in the text. */
export function redactSecretShapes(text: string, options: RedactOptions = {}): string {
  const prose = options.prose === true;
  const count = options.onRedact ?? (() => {});
  const redacted = (replacement: string): string => {
    count(1);
    return replacement;
  };
  let out = removePemBlocks(text, count);
  out = replaceWhere(out, URL_USERINFO, (m) => redacted(`${m[1] ?? ''}${REDACTED}@`));
  out = replaceWhere(out, TOKEN, (m) => (isToken(m[1] ?? '', m[2] ?? '') ? redacted(REDACTED) : undefined));
  out = replaceWhere(out, JWT, () => redacted(REDACTED));
  out = replaceWhere(out, AUTH_SCHEME, (m) =>
    isAuthCredential(m[3] ?? '') ? redacted(`${m[1] ?? ''}${m[2] ?? ''}${REDACTED}`) : undefined,
  );
  return replaceWhere(out, KEY_VALUE, (m) =>
    isSecretAssignment(m[1] ?? '', m[3] ?? '', prose)
      ? redacted(`${m[1] ?? ''}${m[2] ?? ''}${REDACTED}`)
      : undefined,
  );
}
