import type { ValidationItem } from './error-bodies.js';

/**
 * Pydantic-style checks that collect every problem at once, with pydantic's own `type` and
 * `msg` strings, so 422 bodies look like the ones FastAPI sends.
 */

type Loc = (string | number)[];

const TRUE_WORDS = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_WORDS = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function enumMessage(allowed: readonly string[]): string {
  const quoted = allowed.map((value) => `'${value}'`);
  const last = quoted.pop();
  return quoted.length === 0 ? `${last}` : `${quoted.join(', ')} or ${last}`;
}

export class Checks {
  readonly items: ValidationItem[] = [];

  get ok(): boolean {
    return this.items.length === 0;
  }

  add(item: ValidationItem): void {
    this.items.push(item);
  }

  missing(loc: Loc): void {
    this.add({ type: 'missing', loc, msg: 'Field required', input: null });
  }

  /** Accepts undefined always, null when `nullable`. */
  optionalString(loc: Loc, value: unknown, nullable = true): void {
    if (value === undefined || (nullable && value === null) || typeof value === 'string') return;
    this.add({ type: 'string_type', loc, msg: 'Input should be a valid string', input: value });
  }

  optionalBoolean(loc: Loc, value: unknown): void {
    if (value === undefined || value === null || typeof value === 'boolean') return;
    this.add({ type: 'bool_type', loc, msg: 'Input should be a valid boolean', input: value });
  }

  optionalNumberInRange(loc: Loc, value: unknown, ge: number, le: number): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.add({ type: 'float_type', loc, msg: 'Input should be a valid number', input: value });
    } else {
      this.range(loc, value, ge, le);
    }
  }

  optionalIntegerInRange(loc: Loc, value: unknown, ge: number, le: number): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.add({ type: 'int_type', loc, msg: 'Input should be a valid integer', input: value });
    } else if (!Number.isInteger(value)) {
      this.add({ type: 'int_from_float', loc, msg: 'Input should be a valid integer, got a number with a fractional part', input: value });
    } else {
      this.range(loc, value, ge, le);
    }
  }

  optionalEnum(loc: Loc, value: unknown, allowed: readonly string[]): void {
    if (value === undefined || value === null) return;
    if (typeof value === 'string' && allowed.includes(value)) return;
    const expected = enumMessage(allowed);
    this.add({ type: 'enum', loc, msg: `Input should be ${expected}`, input: value, ctx: { expected } });
  }

  /** A list of strings or null; returns the list when it is one. */
  optionalStringList(loc: Loc, value: unknown): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      this.add({ type: 'list_type', loc, msg: 'Input should be a valid list', input: value });
      return undefined;
    }
    value.forEach((item, index) => this.optionalString([...loc, index], item, false));
    return value.filter((item): item is string => typeof item === 'string');
  }

  /** Query strings arrive as text and are parsed leniently, as pydantic does. */
  queryBoolean(loc: Loc, raw: string | null): boolean | undefined {
    if (raw === null) return undefined;
    const word = raw.toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    this.add({ type: 'bool_parsing', loc, msg: 'Input should be a valid boolean, unable to interpret input', input: raw });
    return undefined;
  }

  queryInteger(loc: Loc, raw: string | null, ge?: number, le?: number): number | undefined {
    if (raw === null) return undefined;
    if (!/^\s*[+-]?\d+\s*$/.test(raw)) {
      this.add({ type: 'int_parsing', loc, msg: 'Input should be a valid integer, unable to parse string as an integer', input: raw });
      return undefined;
    }
    const value = Number.parseInt(raw, 10);
    return this.range(loc, value, ge, le, raw) ? value : undefined;
  }

  private range(loc: Loc, value: number, ge?: number, le?: number, input: unknown = value): boolean {
    if (ge !== undefined && value < ge) {
      this.add({ type: 'greater_than_equal', loc, msg: `Input should be greater than or equal to ${ge}`, input, ctx: { ge } });
      return false;
    }
    if (le !== undefined && value > le) {
      this.add({ type: 'less_than_equal', loc, msg: `Input should be less than or equal to ${le}`, input, ctx: { le } });
      return false;
    }
    return true;
  }
}
