import type { Voice } from './catalog.js';
import { DEFAULT_VOICE_SETTINGS, VOICES, findVoice } from './catalog.js';
import { invalidParameters, validationError, voiceNotFound } from './error-bodies.js';
import type { Exchange } from './exchange.js';
import { sendError, sendJson } from './exchange.js';
import { admit } from './guard.js';
import { Checks } from './validation.js';

/** `/v1/voices`, the paginated `/v2/voices` search, one voice, and voice settings. */

const VOICE_TYPES = ['personal', 'community', 'default', 'workspace', 'non-default', 'non-community', 'saved'] as const;
const CATEGORIES = ['premade', 'cloned', 'generated', 'professional'] as const;
const SORTS = ['created_at_unix', 'name'] as const;
const SORT_DIRECTIONS = ['asc', 'desc'] as const;
const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;

export async function listVoicesV1(exchange: Exchange): Promise<void> {
  const checks = new Checks();
  const showLegacy = checks.queryBoolean(['query', 'show_legacy'], exchange.url.searchParams.get('show_legacy')) ?? false;
  if (!checks.ok) return sendError(exchange, validationError(checks.items));
  const admission = await admit(exchange);
  if (!admission.through) return;
  await sendJson(exchange, { voices: VOICES.filter((voice) => showLegacy || !voice.is_legacy) }, admission.cut);
}

function matchesVoiceType(voice: Voice, voiceType: string | null): boolean {
  switch (voiceType) {
    case null:
    case 'non-community':
      return true;
    case 'default':
      return voice.category === 'premade';
    case 'non-default':
      return voice.category !== 'premade';
    case 'personal':
    case 'workspace':
      return voice.is_owner;
    default:
      // The fake's account has no community or saved library voices.
      return false;
  }
}

function matchesSearch(voice: Voice, search: string | null): boolean {
  if (!search) return true;
  const needle = search.toLowerCase();
  const haystack = [voice.name, voice.description ?? '', voice.category, ...Object.values(voice.labels)];
  return haystack.some((field) => field.toLowerCase().includes(needle));
}

function sortVoices(voices: Voice[], sort: string | null, direction: string | null): Voice[] {
  if (!sort) return voices;
  const sign = direction === 'asc' ? 1 : -1;
  const key = (voice: Voice): string | number => (sort === 'name' ? voice.name.toLowerCase() : (voice.created_at_unix ?? 0));
  return [...voices].sort((a, b) => (key(a) < key(b) ? -sign : key(a) > key(b) ? sign : 0));
}

/** Page tokens are opaque to clients; inside, they carry the offset of the next page. */
function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeToken(token: string): number | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const offset = (decoded as { offset?: unknown } | null)?.offset;
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
}

export async function searchVoicesV2(exchange: Exchange): Promise<void> {
  const query = exchange.url.searchParams;
  const checks = new Checks();
  const pageSize = checks.queryInteger(['query', 'page_size'], query.get('page_size'), 1, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
  checks.optionalEnum(['query', 'voice_type'], query.get('voice_type') ?? undefined, VOICE_TYPES);
  checks.optionalEnum(['query', 'category'], query.get('category') ?? undefined, CATEGORIES);
  checks.optionalEnum(['query', 'sort'], query.get('sort') ?? undefined, SORTS);
  checks.optionalEnum(['query', 'sort_direction'], query.get('sort_direction') ?? undefined, SORT_DIRECTIONS);
  checks.queryBoolean(['query', 'include_total_count'], query.get('include_total_count'));
  if (!checks.ok) return sendError(exchange, validationError(checks.items));
  const admission = await admit(exchange);
  if (!admission.through) return;

  const token = query.get('next_page_token');
  const offset = token ? decodeToken(token) : 0;
  if (offset === undefined) return sendError(exchange, invalidParameters('next_page_token', 'The next_page_token is invalid.'));

  const category = query.get('category');
  const voiceIds = query.getAll('voice_ids');
  const matching = sortVoices(
    VOICES.filter(
      (voice) =>
        !voice.is_legacy &&
        matchesVoiceType(voice, query.get('voice_type')) &&
        (!category || voice.category === category) &&
        (voiceIds.length === 0 || voiceIds.includes(voice.voice_id)) &&
        matchesSearch(voice, query.get('search')),
    ),
    query.get('sort'),
    query.get('sort_direction'),
  );
  const page = matching.slice(offset, offset + pageSize);
  const hasMore = offset + pageSize < matching.length;
  await sendJson(
    exchange,
    { voices: page, has_more: hasMore, total_count: matching.length, next_page_token: hasMore ? encodeToken(offset + pageSize) : null },
    admission.cut,
  );
}

export async function getVoice(exchange: Exchange): Promise<void> {
  const admission = await admit(exchange);
  if (!admission.through) return;
  const voiceId = exchange.params.voice_id ?? '';
  const voice = findVoice(voiceId);
  if (!voice) return sendError(exchange, voiceNotFound(voiceId));
  await sendJson(exchange, voice, admission.cut);
}

export async function getVoiceSettings(exchange: Exchange): Promise<void> {
  const admission = await admit(exchange);
  if (!admission.through) return;
  const voiceId = exchange.params.voice_id ?? '';
  const voice = findVoice(voiceId);
  if (!voice) return sendError(exchange, voiceNotFound(voiceId));
  await sendJson(exchange, voice.settings ?? DEFAULT_VOICE_SETTINGS, admission.cut);
}

export async function getDefaultVoiceSettings(exchange: Exchange): Promise<void> {
  const admission = await admit(exchange);
  if (!admission.through) return;
  await sendJson(exchange, DEFAULT_VOICE_SETTINGS, admission.cut);
}
