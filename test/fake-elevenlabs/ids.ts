import { randomBytes, randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Shaped like ElevenLabs' `request-id` and `history-item-id` values (20 alphanumerics). */
export function randomAlnum(length = 20): string {
  let id = '';
  for (let i = 0; i < length; i += 1) id += ALNUM[randomInt(ALNUM.length)];
  return id;
}

/** Shaped like `x-trace-id` (32 lower-case hex digits). */
export function randomTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
