/**
 * Splits text into parts of at most `limit` characters, preferring sentence boundaries, then
 * clause boundaries, then spaces; a single unbroken run longer than the limit is cut hard.
 */
export function splitText(text: string, limit: number): string[] {
  if (limit < 1) throw new RangeError('limit must be at least 1');
  const trimmed = text.trim();
  if (trimmed.length <= limit) return trimmed ? [trimmed] : [];
  const parts: string[] = [];
  let current = '';
  for (const piece of pieces(trimmed, limit)) {
    const candidate = current ? `${current} ${piece}` : piece;
    if (candidate.length <= limit) {
      current = candidate;
    } else {
      if (current) parts.push(current);
      current = piece;
    }
  }
  if (current) parts.push(current);
  return parts;
}

const SENTENCE_END = /(?<=[.!?…。！？]["'”’)\]]*)\s+/u;
const CLAUSE_END = /(?<=[,;:—–])\s+/u;

/** Yields pieces no longer than `limit`, broken at the gentlest boundary that fits. */
function* pieces(text: string, limit: number): Generator<string> {
  for (const sentence of text.split(SENTENCE_END)) {
    if (sentence.length <= limit) {
      if (sentence) yield sentence;
      continue;
    }
    for (const clause of sentence.split(CLAUSE_END)) {
      if (clause.length <= limit) {
        if (clause) yield clause;
        continue;
      }
      let rest = clause;
      while (rest.length > limit) {
        const space = rest.lastIndexOf(' ', limit);
        const cut = space > limit / 2 ? space : limit;
        yield rest.slice(0, cut).trim();
        rest = rest.slice(cut).trim();
      }
      if (rest) yield rest;
    }
  }
}
