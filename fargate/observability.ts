import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LogLevel, Logger, MetricName, MetricsSink } from '../core/index.js';

/** JSON logs on stdout through Powertools; `silent` writes nothing. */
export function createLogger(level: LogLevel): PowertoolsLogger {
  return new PowertoolsLogger({ serviceName: 'jessica', logLevel: level === 'SILENT' ? 'SILENT' : level });
}

export function loggerPort(logger: PowertoolsLogger): Logger {
  return {
    debug: (message, ...extra) => logger.debug(message, ...extra),
    info: (message, ...extra) => logger.info(message, ...extra),
    warn: (message, ...extra) => logger.warn(message, ...extra),
    error: (message, ...extra) => logger.error(message, ...extra),
  };
}

const UNITS: Record<MetricName, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Utterances: MetricUnit.Count,
  Characters: MetricUnit.Count,
  TimeToFirstAudio: MetricUnit.Milliseconds,
  UpstreamErrors: MetricUnit.Count,
  CacheHits: MetricUnit.Count,
  DroppedListeners: MetricUnit.Count,
};

/**
 * EMF metrics on stdout. Outside Lambda nothing flushes them automatically, so the server
 * flushes on an interval and at shutdown. The only dimension is the service: per-principal or
 * per-utterance dimensions would each become a billed metric series.
 */
export class EmfMetrics implements MetricsSink {
  readonly #metrics: Metrics;
  readonly #enabled: boolean;

  constructor(enabled: boolean) {
    this.#enabled = enabled;
    this.#metrics = new Metrics({ namespace: 'Jessica', serviceName: 'jessica' });
  }

  count(name: MetricName, value = 1): void {
    if (this.#enabled) this.#metrics.addMetric(name, UNITS[name], value);
  }

  timing(name: MetricName, milliseconds: number): void {
    if (this.#enabled) this.#metrics.addMetric(name, UNITS[name], Math.round(milliseconds));
  }

  /** The scaling signal: connections on this task, emitted every flush. */
  gauge(name: 'ActiveConnections', value: number): void {
    if (this.#enabled) this.#metrics.addMetric(name, MetricUnit.Count, value);
  }

  flush(): void {
    if (this.#enabled && this.#metrics.hasStoredMetrics()) this.#metrics.publishStoredMetrics();
  }
}
