import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../../core/config.js';
import { DEFAULT_SETTINGS } from '../../core/settings/schema.js';
import type * as DynamoDbAdapter from '../../handlers/aws/dynamodb-settings-store.js';
import { createDocumentClient } from '../../handlers/aws/dynamodb-settings-store.js';
import { remoteSettingsStoreFor, withSecretParameters } from '../../handlers/lib/aws-on-demand.js';

// Which adapters were loaded through aws-on-demand: each factory runs when its module is first
// imported. This file imports the DynamoDB adapter itself (for createDocumentClient), so that
// one is told apart by who asked for it: only aws-on-demand imports dynamoSettingsStore here.
const loaded = vi.hoisted(() => ({ ssm: 0, dynamoStores: 0 }));
vi.mock('../../handlers/aws/ssm-parameters.js', async (importOriginal) => {
  loaded.ssm += 1;
  return importOriginal();
});
vi.mock('../../handlers/aws/dynamodb-settings-store.js', async (importOriginal) => {
  const original = await importOriginal<typeof DynamoDbAdapter>();
  return {
    ...original,
    dynamoSettingsStore: (...args: Parameters<typeof original.dynamoSettingsStore>) => {
      loaded.dynamoStores += 1;
      return original.dynamoSettingsStore(...args);
    },
  };
});

const KEY_PARAM = '/jessica/test/elevenlabs-api-key';
const TOKENS_PARAM = '/jessica/test/tokens';
const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const lambdaConfig = (settings: string) => loadConfig({ JESSICA_SETTINGS: settings, JESSICA_ALLOW_ANONYMOUS: 'true' }, { target: 'lambda' });

describe('AWS adapters on demand', () => {
  const ssm = mockClient(SSMClient);
  const dynamo = mockClient(DynamoDBDocumentClient);
  const ssmClient = () => new SSMClient({ region: 'eu-central-1', credentials });

  beforeEach(() => {
    ssm.reset();
    dynamo.reset();
  });

  // First, while nothing has loaded the SSM adapter yet.
  it('leaves the environment as it is, and the SSM adapter unloaded, when no *_PARAM names a parameter', async () => {
    const env = { ELEVENLABS_API_KEY: 'direct', ELEVENLABS_API_KEY_PARAM: KEY_PARAM, JESSICA_TOKENS_PARAM: '  ', ROOT_PATH: '/jessica' };
    expect(await withSecretParameters(env, ssmClient)).toBe(env);
    expect(await withSecretParameters({ ROOT_PATH: '/jessica' })).toEqual({ ROOT_PATH: '/jessica' });
    expect(loaded.ssm).toBe(0);
    expect(ssm.calls()).toHaveLength(0);
  });

  it('builds no remote settings store for memory: and file: settings', async () => {
    expect(await remoteSettingsStoreFor(lambdaConfig('memory:'))).toBeUndefined();
    expect(await remoteSettingsStoreFor(lambdaConfig('file:/tmp/jessica-on-demand.json'))).toBeUndefined();
    expect(loaded.dynamoStores).toBe(0);
  });

  it('loads the SSM adapter for a named parameter and fills the variable from it', async () => {
    ssm.on(GetParametersCommand).resolves({
      Parameters: [
        { Name: KEY_PARAM, Value: 'sk_from_ssm', Type: 'SecureString' },
        { Name: TOKENS_PARAM, Value: 'alice:token-0123456789', Type: 'SecureString' },
      ],
      InvalidParameters: [],
    });
    const env = await withSecretParameters({ ELEVENLABS_API_KEY_PARAM: KEY_PARAM, JESSICA_TOKENS_PARAM: TOKENS_PARAM }, ssmClient);
    expect(env).toMatchObject({ ELEVENLABS_API_KEY: 'sk_from_ssm', JESSICA_TOKENS: 'alice:token-0123456789' });
    expect(loaded.ssm).toBe(1);
    expect(ssm.commandCalls(GetParametersCommand)[0]?.args[0].input).toEqual({ Names: [KEY_PARAM, TOKENS_PARAM], WithDecryption: true });
  });

  it('keeps the typed error of a parameter that does not exist', async () => {
    ssm.on(GetParametersCommand).resolves({ Parameters: [], InvalidParameters: [KEY_PARAM] });
    const failure = await withSecretParameters({ ELEVENLABS_API_KEY_PARAM: KEY_PARAM }, ssmClient).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect(String(failure)).toMatch(/^ConfigError: ELEVENLABS_API_KEY_PARAM: SSM parameter "\/jessica\/test\/elevenlabs-api-key" does not exist/);
  });

  it('builds the DynamoDB store for dynamodb:<table>, on the client it is given', async () => {
    const documentClient = createDocumentClient(new DynamoDBClient({ region: 'eu-central-1', credentials }));
    dynamo.on(GetCommand).resolves({ Item: { principal: 'alice', settings: { ...DEFAULT_SETTINGS, auto_play: false }, version: 1 } });
    const remote = await remoteSettingsStoreFor(lambdaConfig('dynamodb:jessica-on-demand'), documentClient);
    expect(remote).toBeTypeOf('function');
    expect(await remote!('jessica-on-demand').get('alice')).toMatchObject({ auto_play: false });
    expect(loaded.dynamoStores).toBe(1);
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({ TableName: 'jessica-on-demand', Key: { principal: 'alice' } });
  });
});
