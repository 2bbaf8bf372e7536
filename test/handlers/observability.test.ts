import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loggerPort, measureLog, metricsSink, publishMetrics } from '../../handlers/lib/observability.js';

describe('core ports on Powertools', () => {
  afterEach(() => vi.restoreAllMocks());

  it('passes extra objects to the Powertools logger as attributes', () => {
    const logger = new Logger({ serviceName: 'jessica', logLevel: 'SILENT' });
    const info = vi.spyOn(logger, 'info');
    loggerPort(logger).info('upstream request failed', { status: 429 }, { attempt: 2 });
    expect(info).toHaveBeenCalledWith('upstream request failed', { status: 429 }, { attempt: 2 });
  });

  it('bills only what alarms read as EMF metrics and writes every other figure as a measure line', () => {
    const metrics = new Metrics({ namespace: 'Jessica', serviceName: 'jessica' });
    const add = vi.spyOn(metrics, 'addMetric');
    const measured: unknown[][] = [];
    const sink = metricsSink(metrics, (...args) => measured.push(args));
    sink.count('Utterances');
    sink.count('Characters', 42);
    sink.timing('TimeToFirstAudio', 180);
    sink.count('UpstreamErrors');
    expect(add.mock.calls).toEqual([['UpstreamErrors', 'Count', 1]]);
    expect(measured).toEqual([
      ['Utterances', 1, 'Count'],
      ['Characters', 42, 'Count'],
      ['TimeToFirstAudio', 180, 'Milliseconds'],
    ]);
  });

  it('writes measure lines at INFO even when LOG_LEVEL is higher, with the invocation context', () => {
    const logger = new Logger({ serviceName: 'jessica', logLevel: 'ERROR' });
    logger.appendKeys({ request: 'req-1' });
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    measureLog(logger)('Characters', 42, 'Count');
    logger.info('hidden');
    vi.restoreAllMocks();
    const entries = lines.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toEqual([expect.objectContaining({ level: 'INFO', message: 'measure', measure: 'Characters', value: 42, unit: 'Count', service: 'jessica', request: 'req-1' })]);
  });

  it('publishes nothing, and warns about nothing, for an invocation without metrics', () => {
    const metrics = new Metrics({ namespace: 'Jessica', serviceName: 'jessica' });
    const publish = vi.spyOn(metrics, 'publishStoredMetrics');
    publishMetrics(metrics);
    expect(publish).not.toHaveBeenCalled();
    metrics.addMetric('CacheHits', 'Count', 1);
    publish.mockImplementation(() => metrics);
    publishMetrics(metrics);
    expect(publish).toHaveBeenCalledOnce();
  });
});
