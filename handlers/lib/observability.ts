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
  /** Writes a figure the dashboard reads from the logs (see BILLED_METRICS). */
  measure: Measure;
}

export type Measure = (name: string, value: number, unit: 'Count' | 'Milliseconds') => void;

export const SERVICE_NAME = 'jessica';
export const METRICS_NAMESPACE = 'Jessica';

/**
 * The only names written as CloudWatch metrics: what an alarm or the scaling policy reads
 * (terraform/infrastructure/monitoring.tf, terraform/modules/service). Each is a metric series
 * billed for every hour it is published. Every other figure (utterances, characters, time to
 * first audio, cache hits, route switches, ...) becomes a `measure` log line that the
 * dashboard's Logs Insights widgets aggregate at no per-series cost.
 */
export const BILLED_METRICS: ReadonlySet<string> = new Set(['UpstreamErrors', 'ActiveConnections']);

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
  const measure = measureLog(powertoolsLogger);
  return { powertoolsLogger, powertoolsMetrics, logger: loggerPort(powertoolsLogger), metrics: metricsSink(powertoolsMetrics, measure), measure };
}

/**
 * `measure` log lines at INFO whatever LOG_LEVEL says, like the EMF lines they replace. The
 * child is made per line because a child copies the context (request id, cold start) the
 * parent has at that moment; a call writes only a few.
 */
export function measureLog(logger: PowertoolsLogger): Measure {
  return (name, value, unit) => logger.createChild({ logLevel: 'INFO' }).info('measure', { measure: name, value, unit });
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

/** The core's metric names: BILLED_METRICS as EMF metrics, the others as measure lines. */
export function metricsSink(metrics: Metrics, measure: Measure): MetricsSink {
  const record = (name: string, value: number, unit: 'Count' | 'Milliseconds') => {
    if (BILLED_METRICS.has(name)) metrics.addMetric(name, MetricUnit[unit], value);
    else measure(name, value, unit);
  };
  return {
    count: (name, value = 1) => record(name, value, 'Count'),
    timing: (name, milliseconds) => record(name, milliseconds, 'Milliseconds'),
  };
}

/**
 * Writes this invocation's metrics as one EMF line. Invocations without metrics (health checks,
 * settings reads) write nothing rather than a Powertools warning.
 */
export function publishMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
