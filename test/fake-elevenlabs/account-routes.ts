import { MODELS, userWith } from './catalog.js';
import type { Exchange } from './exchange.js';
import { sendJson } from './exchange.js';
import { admit } from './guard.js';

/** `/v1/models` (a bare array), `/v1/user` and `/v1/user/subscription`. */

export async function listModels(exchange: Exchange): Promise<void> {
  const admission = await admit(exchange);
  if (admission.through) await sendJson(exchange, MODELS, admission.cut);
}

export async function getSubscription(exchange: Exchange): Promise<void> {
  const admission = await admit(exchange);
  if (admission.through) await sendJson(exchange, exchange.state.subscription, admission.cut);
}

export async function getUser(exchange: Exchange): Promise<void> {
  const admission = await admit(exchange);
  if (admission.through) await sendJson(exchange, userWith(exchange.state.subscription), admission.cut);
}
