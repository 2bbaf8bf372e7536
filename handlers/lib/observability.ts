import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, LogLevel as PowertoolsLogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger, MetricsSink } from '../../core/ports.js';

/** Powertools Logger and Metrics of one runtime, and their core-port views. */
export interface Observability {
  powertoolsLogger: PowertoolsLogger;
  powertoolsMetrics: Metrics;
  logger: Logger;
  metrics: MetricsSink;
}

export const SERVICE_NAME = 'jessica';
export const METRICS_NAMESPACE = 'Jessica';

const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT']);

/**
 * Powertools Logger (structured JSON, cold start and request id once `addContext` ran) and
 * Metrics (EMF in namespace `Jessica`). The only dimension is `service`: every extra dimension
 * value is another billed metric series.
 */
export function createObservability(env: Readonly<Record<string, string | undefined>> = process.env): Observability {
  const level = env['LOG_LEVEL']?.trim().toUpperCase().replace(/^WARNING$/, 'WARN');
  const powertoolsLogger = new PowertoolsLogger({
    serviceName: SERVICE_NAME,
    ...(level && LEVELS.has(level) ? { logLevel: level as PowertoolsLogLevel } : {}),
  });
  const powertoolsMetrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger: powertoolsLogger });
  return { powertoolsLogger, powertoolsMetrics, logger: loggerPort(powertoolsLogger), metrics: metricsSink(powertoolsMetrics) };
}

/** The core's Logger port on top of Powertools: extra objects become structured attributes. */
export function loggerPort(logger: PowertoolsLogger): Logger {
  const attributes = (extra: object[]) => extra as LogAttributes[];
  return {
    debug: (message, ...extra) => logger.debug(message, ...attributes(extra)),
    info: (message, ...extra) => logger.info(message, ...attributes(extra)),
    warn: (message, ...extra) => logger.warn(message, ...attributes(extra)),
    error: (message, ...extra) => logger.error(message, ...attributes(extra)),
  };
}

/** The core's metric names as EMF metrics. */
export function metricsSink(metrics: Metrics): MetricsSink {
  return {
    count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
    timing: (name, milliseconds) => metrics.addMetric(name, MetricUnit.Milliseconds, milliseconds),
  };
}

/**
 * Writes this invocation's metrics as one EMF line. Invocations without metrics (health checks,
 * settings reads) write nothing rather than a Powertools warning.
 */
export function publishMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
