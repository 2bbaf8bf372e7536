import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHttpHandler } from '../../handlers/http.js';
import { createDocumentClient } from '../../handlers/aws/dynamodb-settings-store.js';
import { createObservability, publishMetrics } from '../../handlers/lib/observability.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { eventFor, httpApiDriver, httpApiEvent, lambdaContext, lambdaEnv, quietObservability, resultToResponse, TOKEN } from './helpers.js';

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const KEY_PARAM = '/jessica/test/elevenlabs-api-key';
const TOKENS_PARAM = '/jessica/test/tokens';
const bearer = { authorization: `Bearer ${TOKEN}` };

describe('the Lambda HTTP API handler', () => {
  let fake: FakeElevenLabs;
  const ssm = mockClient(SSMClient);
  const ssmClient = () => new SSMClient({ region: 'eu-central-1', credentials });

  beforeAll(async () => {
    fake = await startFakeElevenLabs();
  });
  afterAll(() => fake.close());
  beforeEach(() => ssm.reset());
  afterEach(() => {
    fake.reset();
    vi.restoreAllMocks();
  });

  /** The deployed shape: secrets named by parameter, never set directly. */
  function ssmEnv(): Record<string, string> {
    const { ELEVENLABS_API_KEY: _key, JESSICA_TOKENS: _tokens, ...env } = lambdaEnv(fake);
    return { ...env, ELEVENLABS_API_KEY_PARAM: KEY_PARAM, JESSICA_TOKENS_PARAM: TOKENS_PARAM };
  }

  function ssmHolds(values: Record<string, string>): void {
    ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => ({
      Parameters: input.Names.filter((name) => name in values).map((name) => ({ Name: name, Value: values[name], Type: 'SecureString' })),
      InvalidParameters: input.Names.filter((name) => !(name in values)),
    }));
  }

  it('reads the key and the tokens from SSM once per cold start', async () => {
    ssmHolds({ [KEY_PARAM]: fake.apiKey, [TOKENS_PARAM]: `tester:${TOKEN}` });
    const send = httpApiDriver(createHttpHandler({ env: ssmEnv(), observability: quietObservability(), ssm: ssmClient }));
    const health = await send('GET', '/health');
    expect(JSON.parse(health.body.toString())).toMatchObject({ status: 'ok', target: 'lambda', version: '9.9.9-test', upstream: { configured: true } });
    const tts = await send('POST', '/api/v1/tts', { headers: { ...bearer, 'content-type': 'application/json' }, body: '{"text":"Keyed from SSM."}' });
    expect(tts.status).toBe(200);
    expect(fake.ttsRequests()[0]?.headers['xi-api-key']).toBe(fake.apiKey);
    expect(ssm.commandCalls(GetParametersCommand)).toHaveLength(1);
  });

  it('calls ElevenLabs through node:http, so a cold start never loads fetch (undici) for it', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const send = httpApiDriver(createHttpHandler({ env: lambdaEnv(fake), observability: quietObservability() }));
    const tts = await send('POST', '/api/v1/tts', { headers: { ...bearer, 'content-type': 'application/json' }, body: '{"text":"No fetch here."}' });
    expect(tts.status).toBe(200);
    expect(fake.ttsRequests()).toHaveLength(1);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('answers 500 after a failed cold start, logs the missing parameter by name, and retries on the next call', async () => {
    ssmHolds({ [TOKENS_PARAM]: `tester:${TOKEN}` });
    const observability = quietObservability();
    const logged = vi.spyOn(observability.logger, 'error');
    const send = httpApiDriver(createHttpHandler({ env: ssmEnv(), observability, ssm: ssmClient }));
    const failed = await send('GET', '/health');
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body.toString())).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
    expect(failed.body.toString()).not.toContain(KEY_PARAM);
    expect(JSON.stringify(logged.mock.calls)).toContain(`ELEVENLABS_API_KEY_PARAM: SSM parameter \\"${KEY_PARAM}\\" does not exist`);

    ssmHolds({ [KEY_PARAM]: fake.apiKey, [TOKENS_PARAM]: `tester:${TOKEN}` });
    expect((await send('GET', '/health')).status).toBe(200);
    expect(ssm.commandCalls(GetParametersCommand)).toHaveLength(2);
  });

  it('refuses to start without tokens unless anonymous use is allowed', async () => {
    const { JESSICA_TOKENS: _tokens, ...env } = lambdaEnv(fake);
    const observability = quietObservability();
    const logged = vi.spyOn(observability.logger, 'error');
    expect((await httpApiDriver(createHttpHandler({ env, observability }))('GET', '/health')).status).toBe(500);
    expect(JSON.stringify(logged.mock.calls)).toContain('JESSICA_TOKENS: required on Lambda');
    const open = httpApiDriver(createHttpHandler({ env: { ...env, JESSICA_ALLOW_ANONYMOUS: 'true' }, observability: quietObservability() }));
    expect((await open('GET', '/api/v1/models')).status).toBe(200);
  });

  it('never writes the key or a token to the log', async () => {
    ssmHolds({ [KEY_PARAM]: fake.apiKey, [TOKENS_PARAM]: `tester:${TOKEN}` });
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const send = httpApiDriver(createHttpHandler({ env: { ...ssmEnv(), LOG_LEVEL: 'debug' }, observability: createObservability({ LOG_LEVEL: 'debug' }), ssm: ssmClient }));
    await send('POST', '/api/v1/tts', { headers: { ...bearer, 'content-type': 'application/json' }, body: '{"text":"Nothing secret here."}' });
    await send('GET', '/api/v1/voices', { headers: { authorization: 'Bearer wrong-token-123' } });
    fake.inject({ kind: 'invalid_key' });
    await send('POST', '/api/v1/tts', { headers: { ...bearer, 'content-type': 'application/json' }, body: '{"text":"Rejected upstream."}' });
    vi.restoreAllMocks();
    const log = written.join('');
    expect(log).toContain('cold start complete');
    expect(log).not.toContain(fake.apiKey);
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain('wrong-token-123');
  });

  it('adds the Lambda context to the logger and writes the figures of a call as measure lines, not billed metrics', async () => {
    const observability = createObservability({ LOG_LEVEL: 'silent' });
    const addContext = vi.spyOn(observability.powertoolsLogger, 'addContext');
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const handler = createHttpHandler({ env: lambdaEnv(fake), observability });
    await handler(
      eventFor(httpApiEvent, 'POST', '/jessica/api/v1/tts', { headers: { ...bearer, 'content-type': 'application/json' }, body: '{"text":"Counted."}' }),
      lambdaContext({ awsRequestId: 'req-123' }),
    );
    vi.restoreAllMocks();
    expect(addContext).toHaveBeenCalledWith(expect.objectContaining({ awsRequestId: 'req-123' }));
    const entries = lines.map((line) => JSON.parse(line) as { _aws?: unknown; message?: string; measure?: string; value?: number; service?: string; function_request_id?: string });
    // A successful call feeds no alarm, so it publishes no EMF metric (no billed series).
    expect(entries.filter((entry) => entry._aws)).toEqual([]);
    const measures = entries.filter((entry) => entry.message === 'measure');
    expect(measures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ measure: 'Utterances', value: 1, service: 'jessica', function_request_id: 'req-123' }),
        expect.objectContaining({ measure: 'Characters', value: 'Counted.'.length }),
      ]),
    );
  });

  it('publishes upstream errors as an EMF metric with only the service dimension', async () => {
    const observability = createObservability({ LOG_LEVEL: 'silent' });
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    observability.metrics.count('UpstreamErrors');
    publishMetrics(observability.powertoolsMetrics);
    vi.restoreAllMocks();
    const emf = lines.map((line) => JSON.parse(line) as { _aws?: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }; service?: string }).find((entry) => entry._aws);
    expect(emf?._aws?.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Jessica', Dimensions: [['service']] });
    expect(emf?.service).toBe('jessica');
    expect(emf?._aws?.CloudWatchMetrics[0]?.Metrics.map((metric) => metric.Name)).toEqual(['UpstreamErrors']);
  });

  it('keeps settings in DynamoDB when JESSICA_SETTINGS names a table', async () => {
    const dynamo = mockClient(DynamoDBDocumentClient);
    dynamo.on(GetCommand).resolves({});
    dynamo.on(PutCommand).resolves({});
    const documentClient = createDocumentClient(new DynamoDBClient({ region: 'eu-central-1', credentials }));
    const send = httpApiDriver(
      createHttpHandler({ env: lambdaEnv(fake, { JESSICA_SETTINGS: 'dynamodb:jessica-test-settings' }), observability: quietObservability(), dynamo: documentClient }),
    );
    const response = await send('PATCH', '/api/v1/settings', { headers: { ...bearer, 'content-type': 'application/json' }, body: '{"auto_play":false}' });
    expect(response.status).toBe(200);
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'jessica-test-settings',
      Item: { principal: 'tester', version: 1, settings: { auto_play: false } },
    });
    dynamo.restore();
  });

  it('serves the same routes when a custom-domain API mapping already removed /jessica', async () => {
    const send = httpApiDriver(createHttpHandler({ env: lambdaEnv(fake), observability: quietObservability() }), '');
    expect(JSON.parse((await send('GET', '/health')).body.toString())).toMatchObject({ status: 'ok' });
    expect((await send('GET', '/api/v1/models', { headers: bearer })).status).toBe(200);
  });

  it('decodes a base64 request body', async () => {
    const send = httpApiDriver(createHttpHandler({ env: lambdaEnv(fake), observability: quietObservability() }));
    const response = await send('POST', '/api/v1/tts', { headers: { ...bearer, 'content-type': 'application/json' }, body: new TextEncoder().encode('{"text":"Sent as base64."}') });
    expect(response.status).toBe(200);
    expect(fake.ttsRequests()[0]?.body).toMatchObject({ text: 'Sent as base64.' });
  });

  it('answers 413 payload_too_large when the audio cannot fit a buffered response', async () => {
    fake.configure({ audio: new Uint8Array(5 * 1024 * 1024).fill(0xff) });
    const handler = createHttpHandler({ env: lambdaEnv(fake), observability: quietObservability() });
    for (const path of ['/jessica/api/v1/tts', '/jessica/api/v1/tts/stream']) {
      const result = await handler(eventFor(httpApiEvent, 'POST', path, { headers: { ...bearer, 'content-type': 'application/json' }, body: '{"text":"A very long story."}' }), lambdaContext());
      const response = resultToResponse(result);
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body.toString())).toMatchObject({ error: { code: 'payload_too_large' } });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
    }
  });
});
