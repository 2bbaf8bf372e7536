/**
 * Character timings for the with-timestamps endpoints. The fake spreads the characters evenly
 * over the audio's duration: enough for a client to map progress to text, not a real aligner.
 */

export interface Alignment {
  characters: string[];
  character_start_times_seconds: number[];
  character_end_times_seconds: number[];
}

export interface TimedCharacter {
  character: string;
  start: number;
  end: number;
}

const round = (seconds: number): number => Math.round(seconds * 1000) / 1000;

export function evenTimings(text: string, durationSeconds: number): TimedCharacter[] {
  const characters = [...text];
  const step = characters.length === 0 ? 0 : durationSeconds / characters.length;
  return characters.map((character, index) => ({
    character,
    start: round(index * step),
    end: round((index + 1) * step),
  }));
}

/** Null when there is nothing to align, as the API allows. */
export function toAlignment(timings: readonly TimedCharacter[]): Alignment | null {
  if (timings.length === 0) return null;
  return {
    characters: timings.map((timing) => timing.character),
    character_start_times_seconds: timings.map((timing) => timing.start),
    character_end_times_seconds: timings.map((timing) => timing.end),
  };
}
