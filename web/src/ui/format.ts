const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const day = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const count = new Intl.NumberFormat();

export function formatClock(date: Date): string {
  return clock.format(date);
}

export function formatDay(iso: string): string | undefined {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : day.format(date);
}

export function formatCount(value: number): string {
  return count.format(value);
}

/** m:ss, for positions inside an utterance; `round: 'up'` for lengths, so a short clip is not 0:00 long. */
export function formatSeconds(seconds: number, round: 'down' | 'up' = 'down'): string {
  const value = Math.max(0, Number.isFinite(seconds) ? seconds : 0);
  const whole = round === 'up' ? Math.ceil(value) : Math.floor(value);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** A file name that sorts by time: jessica-20250101-140312.mp3 */
export function downloadName(date: Date, mime: string): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  const stamp = `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
  return `jessica-${stamp}.${extensionFor(mime)}`;
}

function extensionFor(mime: string): string {
  if (mime.startsWith('audio/mpeg')) return 'mp3';
  if (mime.startsWith('audio/ogg')) return 'ogg';
  if (mime.startsWith('audio/wav')) return 'wav';
  return 'bin';
}

/** Bytes per second of an output format like mp3_44100_128, for estimating durations. */
export function bytesPerSecond(format: string): number | undefined {
  const match = /^mp3_\d+_(\d+)$/.exec(format);
  return match?.[1] ? (Number(match[1]) * 1000) / 8 : undefined;
}

/** The first words of a text, for labels that name an utterance. */
export function excerpt(text: string, length = 40): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}
