import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loggerPort, metricsSink, publishMetrics } from '../../handlers/lib/observability.js';

describe('core ports on Powertools', () => {
  afterEach(() => vi.restoreAllMocks());

  it('passes extra objects to the Powertools logger as attributes', () => {
    const logger = new Logger({ serviceName: 'jessica', logLevel: 'SILENT' });
    const info = vi.spyOn(logger, 'info');
    loggerPort(logger).info('upstream request failed', { status: 429 }, { attempt: 2 });
    expect(info).toHaveBeenCalledWith('upstream request failed', { status: 429 }, { attempt: 2 });
  });

  it('records counts and timings under the core metric names', () => {
    const metrics = new Metrics({ namespace: 'Jessica', serviceName: 'jessica' });
    const add = vi.spyOn(metrics, 'addMetric');
    const sink = metricsSink(metrics);
    sink.count('Utterances');
    sink.count('Characters', 42);
    sink.timing('TimeToFirstAudio', 180);
    expect(add.mock.calls).toEqual([
      ['Utterances', 'Count', 1],
      ['Characters', 'Count', 42],
      ['TimeToFirstAudio', 'Milliseconds', 180],
    ]);
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
