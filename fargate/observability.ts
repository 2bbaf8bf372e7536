import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LogLevel, Logger, MetricName, MetricsSink } from '../core/index.js';

/** JSON logs on stdout through Powertools; `silent` writes nothing. */
export function createLogger(level: LogLevel): PowertoolsLogger {
  return new PowertoolsLogger({ serviceName: 'jessica', logLevel: level === 'SILENT' ? 'SILENT' : level });
}

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, SILENT: 100 };

/**
 * One readable line per entry for a person at a terminal (`LOG_FORMAT=pretty`):
 * `12:04:05 WARN  upstream retry status=429 attempt=2`. Same port and fields as the JSON logs.
 */
export function prettyLogger(level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const at = (entryLevel: Exclude<LogLevel, 'SILENT'>) => (message: string, ...extra: Array<Record<string, unknown>>) => {
    if (RANK[entryLevel] < RANK[level]) return;
    const fields = Object.entries(Object.assign({}, ...extra) as Record<string, unknown>)
      .map(([name, value]) => `${name}=${typeof value === 'string' ? value : value instanceof Error ? value.message : JSON.stringify(value)}`)
      .join(' ');
    const time = new Date().toTimeString().slice(0, 8);
    write(`${time} ${entryLevel.padEnd(5)} ${message}${fields ? ` ${fields}` : ''}\n`);
  };
  return { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}

export function loggerPort(logger: PowertoolsLogger): Logger {
  return {
    debug: (message, ...extra) => logger.debug(message, ...extra),
    info: (message, ...extra) => logger.info(message, ...extra),
    warn: (message, ...extra) => logger.warn(message, ...extra),
    error: (message, ...extra) => logger.error(message, ...extra),
  };
}

const UNITS: Record<MetricName, 'Count' | 'Milliseconds'> = {
  Utterances: 'Count',
  Characters: 'Count',
  TimeToFirstAudio: 'Milliseconds',
  UpstreamErrors: 'Count',
  CacheHits: 'Count',
  DroppedListeners: 'Count',
};

/**
 * The only names written as CloudWatch metrics: what an alarm or the scaling policy reads
 * (terraform/infrastructure/monitoring.tf, terraform/modules/service). Each is a metric series
 * billed for every hour it is published; the Lambda handlers use the same list.
 */
export const BILLED_METRICS: ReadonlySet<string> = new Set(['UpstreamErrors', 'ActiveConnections']);

/**
 * EMF metrics on stdout. Outside Lambda nothing flushes them automatically, so the server
 * flushes on an interval and at shutdown. The only dimension is the service: per-principal or
 * per-utterance dimensions would each become a billed metric series. Names outside
 * BILLED_METRICS become `measure` log lines (at INFO whatever the log level), which the
 * dashboard's Logs Insights widgets aggregate at no per-series cost.
 */
export class EmfMetrics implements MetricsSink {
  readonly #metrics: Metrics;
  readonly #measures: PowertoolsLogger;
  readonly #enabled: boolean;

  constructor(enabled: boolean) {
    this.#enabled = enabled;
    this.#metrics = new Metrics({ namespace: 'Jessica', serviceName: 'jessica' });
    this.#measures = new PowertoolsLogger({ serviceName: 'jessica', logLevel: 'INFO' });
  }

  count(name: MetricName, value = 1): void {
    this.#record(name, value);
  }

  timing(name: MetricName, milliseconds: number): void {
    this.#record(name, Math.round(milliseconds));
  }

  /** The scaling signal: connections on this task, emitted every flush. */
  gauge(name: 'ActiveConnections', value: number): void {
    if (this.#enabled) this.#metrics.addMetric(name, MetricUnit.Count, value);
  }

  flush(): void {
    if (this.#enabled && this.#metrics.hasStoredMetrics()) this.#metrics.publishStoredMetrics();
  }

  #record(name: MetricName, value: number): void {
    if (!this.#enabled) return;
    const unit = UNITS[name];
    if (BILLED_METRICS.has(name)) this.#metrics.addMetric(name, MetricUnit[unit], value);
    else this.#measures.info('measure', { measure: name, value, unit });
  }
}
