import { describe, expect, it } from 'vitest';
import { formatCount, formatDay } from '../../web/src/ui/format.js';

describe('the usage line formats (English, without locale data)', () => {
  it('groups thousands with commas', () => {
    expect([0, 7, 999, 1000, 12_345, 1_234_567, -12_345, 1234.5].map(formatCount)).toEqual(['0', '7', '999', '1,000', '12,345', '1,234,567', '-12,345', '1,234.5']);
  });

  it('names a day by its date and short month, in local time, and nothing for a date it cannot read', () => {
    expect(formatDay(new Date(2026, 11, 1, 12).toISOString())).toBe('1 Dec');
    expect(formatDay(new Date(2027, 0, 31, 12).toISOString())).toBe('31 Jan');
    expect(formatDay('not a date')).toBeUndefined();
  });
});
