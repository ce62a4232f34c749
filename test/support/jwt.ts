/** Keys and bearer JWTs for the OAuth resource-server tests: one issuer, one resource, a fixed "now". */
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export const ISSUER = 'https://auth.example.test/';
export const RESOURCE = 'https://critic.example.test/mcp';
/** The tests' "now" in seconds: tokens are issued and expire around it. */
export const NOW_S = 1_800_000_000;

export type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** A trusted ES256 key (published as kid `k1`) and a stranger's key of the same kind. */
export async function testKeys(): Promise<{ signing: KeyPair; stranger: KeyPair; publicJwk: JWK }> {
  const signing = await generateKeyPair('ES256');
  const stranger = await generateKeyPair('ES256');
  const publicJwk = { ...(await exportJWK(signing.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  return { signing, stranger, publicJwk };
}

export interface TokenSpec {
  /** Claims beside the registered ones; `scope` is 'roast debate' unless given. */
  claims?: Record<string, unknown>;
  iss?: string;
  aud?: string;
  /** null: no `sub`. */
  sub?: string | null;
  iatS?: number;
  /** null: no `exp`. */
  expS?: number | null;
  nbfS?: number;
  kid?: string;
}

/** An ES256 JWT signed with `key`: issuer ISSUER, audience RESOURCE, subject alice@example.test, 10 minutes left. */
export function signToken(key: KeyPair['privateKey'], spec: TokenSpec = {}): Promise<string> {
  const jwt = new SignJWT({ scope: 'roast debate', ...spec.claims })
    .setProtectedHeader({ alg: 'ES256', kid: spec.kid ?? 'k1' })
    .setIssuer(spec.iss ?? ISSUER)
    .setAudience(spec.aud ?? RESOURCE)
    .setIssuedAt(spec.iatS ?? NOW_S);
  if (spec.sub !== null) jwt.setSubject(spec.sub ?? 'alice@example.test');
  if (spec.expS !== null) jwt.setExpirationTime(spec.expS ?? NOW_S + 600);
  if (spec.nbfS !== undefined) jwt.setNotBefore(spec.nbfS);
  return jwt.sign(key);
}
