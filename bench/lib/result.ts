import type { Machine } from './machine.js';

/** What every benchmark writes to bench/results/<name>.json and the report renders. */

export interface GoalRow {
  measure: string;
  baseline: string;
  jessica: string;
  /** Ratio to the baseline, or time added over it. */
  delta: string;
  goal: string;
  /** null: informational, no goal. */
  met: boolean | null;
}

export interface Table {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

export interface SuiteResult {
  name: string;
  title: string;
  /** How it was measured: parameters, in a sentence or two. */
  setup: string;
  goals: GoalRow[];
  tables: Table[];
  notes: string[];
  /** Every figure the tables were made from. */
  data: Record<string, unknown>;
}

export interface StoredResult extends SuiteResult {
  machine: Machine;
  /** 1-minute load average when the benchmark started (2 cores: above ~3, other work competed). */
  loadBefore?: number;
  /** Measured with `--quick` (fewer samples). */
  quick?: boolean;
  durationSeconds: number;
}

export interface SuiteContext {
  /** Smaller sample counts, for iterating on the bench itself (`--quick`). */
  quick: boolean;
  /** Write CPU profiles of the server under test (`--profile`). */
  profile: boolean;
  resultsDir: string;
  log(message: string): void;
}

export const ms = (value: number, digits = 2): string => (Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a');
export const signedMs = (value: number, digits = 2): string => (Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)} ms` : 'n/a');
export const pct = (value: number): string => `${(value * 100).toFixed(0)} %`;
export const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
export const int = (value: number): string => Math.round(value).toLocaleString('en-US');
