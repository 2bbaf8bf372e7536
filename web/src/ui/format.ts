// Made on first use, not when the script loads: the first date formatter loads the locale's
// calendar data, a long task of its own on a slow phone (~80 ms at Lighthouse's 4× CPU slowdown)
// that would otherwise block the page's start-up.
let clock: Intl.DateTimeFormat | undefined;
/** The page speaks English: the usage line shown at start-up is written without loading locale data. */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function formatClock(date: Date): string {
  clock ??= new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  return clock.format(date);
}

export function formatDay(iso: string): string | undefined {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : `${date.getDate()} ${MONTHS[date.getMonth()]}`;
}

/** 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  const [whole = '0', fraction] = String(value).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
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
