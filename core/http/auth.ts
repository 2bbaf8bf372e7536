import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';
import { JessicaError } from '../errors.js';

/** The principal of unauthenticated loopback use. */
export const LOCAL_PRINCIPAL = 'local';

const digest = (value: string) => createHash('sha256').update(value).digest();

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
  for (const entry of config.tokens) {
    if (timingSafeEqual(offered, digest(entry.token)) && principal === undefined) principal = entry.principal;
  }
  if (principal === undefined) throw unauthorized();
  return principal;
}

function unauthorized(): JessicaError {
  return new JessicaError('unauthorized', 'A valid bearer token is required (Authorization: Bearer <token>).');
}
