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

/** Env values to blank out, longest first so a value that contains another is removed whole. */
export function secretEnvValues(env: NodeJS.ProcessEnv): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string') continue;
    if (SECRET_ENV_NAME.test(name) && value.length >= MIN_SECRET_ENV_VALUE_CHARS) values.add(value);
    else if (
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
export function removeEnvValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) if (out.includes(value)) out = out.split(value).join(REDACTED);
  return out;
}

/** Removes PEM private-key blocks with indexOf scans (a lazy regex here would be quadratic on many BEGINs). */
function removePemBlocks(text: string): string {
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
  /(?<![A-Za-z0-9_-])(sk-ant-|sk-|AIza|gh[pousr]_|github_pat_|glpat-|xox[abposr]-|AKIA)([A-Za-z0-9_-]+)/g;
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
      return 16;
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

function tokenReplacer(match: string, prefix: string, rest: string): string {
  if (rest.length < minRest(prefix)) return match;
  // `sk-learn-compatible`: a bare sk- word needs a digit unless it is long enough to be a key anyway.
  if (prefix === 'sk-' && rest.length < 20 && !/[0-9]/.test(rest)) return match;
  return REDACTED;
}

function authReplacer(match: string, scheme: string, gap: string, credential: string): string {
  // "Bearer authentication" and "Bearer /healthz" are prose; real credentials carry digits, or are long.
  if (credential.length < 8 || (!/[0-9]/.test(credential) && credential.length < 24)) return match;
  return scheme + gap + REDACTED;
}

const SECRET_KEY_NAME =
  /api[_-]?key|secret|token|passw(?:or)?d|pwd|credential|auth(?!or)|cookie|private[_-]?key|access[_-]?key|session[_-]?(?:id|key|token)|(?:^|[_.-])key$/i;
// Values that name a secret rather than hold one: type names, placeholders, env lookups, numbers (max_tokens: 4096).
const NOT_A_SECRET =
  /^(?:string|number|boolean|null|undefined|none|true|false|required|optional|object|any|bearer|basic|\d{1,11}|\$.*|process\.env.*|os\.environ.*|env\..*|this\..*|config\..*|options\..*)$/i;
const LONG_HEX = /^[0-9a-f]{32,}$/i;
const LONG_BASE64 = /^[A-Za-z0-9+/_-]{32,}={0,2}$/;

function looksRandom(value: string): boolean {
  if (LONG_HEX.test(value)) return true;
  return LONG_BASE64.test(value) && /[A-Z]/.test(value) && /[a-z]/.test(value) && /[0-9]/.test(value);
}

function keyValueReplacer(match: string, key: string, separator: string, value: string): string {
  if (NOT_A_SECRET.test(value)) return match;
  if (SECRET_KEY_NAME.test(key) && value.length >= 3) return key + separator + REDACTED;
  if (looksRandom(value)) return key + separator + REDACTED;
  return match;
}

/** Redacts credentials that have a recognisable shape, wherever they appear in the text. */
export function redactSecretShapes(text: string): string {
  return removePemBlocks(text)
    .replace(URL_USERINFO, (_m, scheme: string) => `${scheme}${REDACTED}@`)
    .replace(TOKEN, tokenReplacer)
    .replace(JWT, REDACTED)
    .replace(AUTH_SCHEME, authReplacer)
    .replace(KEY_VALUE, keyValueReplacer);
}
