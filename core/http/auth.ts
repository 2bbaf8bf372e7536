import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';
import { JessicaError } from '../errors.js';

/** The principal of unauthenticated loopback use. */
export const LOCAL_PRINCIPAL = 'local';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The configured tokens' digests, worked out once per token list rather than on every request. */
const configuredDigests = new WeakMap<NonNullable<Config['tokens']>, Array<{ principal: string; digest: Buffer }>>();

function digestsOf(tokens: NonNullable<Config['tokens']>): Array<{ principal: string; digest: Buffer }> {
  let digests = configuredDigests.get(tokens);
  if (digests === undefined) {
    digests = tokens.map((entry) => ({ principal: entry.principal, digest: digest(entry.token) }));
    configuredDigests.set(tokens, digests);
  }
  return digests;
}

/**
 * Finds the principal a bearer token belongs to. Tokens are compared as fixed-length digests
 * in constant time, and every configured token is checked, so timing tells nothing.
 */
export function authenticate(config: Pick<Config, 'tokens'>, credentials: { authorization?: string | undefined; queryToken?: string | undefined }): string {
  if (config.tokens === undefined) return LOCAL_PRINCIPAL;
  const header = credentials.authorization?.trim();
  let presented: string | undefined;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw unauthorized();
    presented = match[1];
  } else {
    presented = credentials.queryToken;
  }
  if (!presented) throw unauthorized();
  const offered = digest(presented);
  let principal: string | undefined;
  for (const entry of digestsOf(config.tokens)) {
    if (timingSafeEqual(offered, entry.digest) && principal === undefined) principal = entry.principal;
  }
  if (principal === undefined) throw unauthorized();
  return principal;
}

function unauthorized(): JessicaError {
  return new JessicaError('unauthorized', 'A valid bearer token is required (Authorization: Bearer <token>).');
}
