import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../core/settings/schema.js';
import type { Settings } from '../../core/types.js';
import { JessicaError } from '../../core/errors.js';
import { createDocumentClient, DynamoDbSettingsStore, dynamoSettingsStore } from '../../handlers/aws/dynamodb-settings-store.js';

const TABLE = 'jessica-test-settings';
const defaults = (): Settings => structuredClone(DEFAULT_SETTINGS) as Settings;
const conflict = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('DynamoDbSettingsStore', () => {
  const documentClient = createDocumentClient(new DynamoDBClient({ region: 'eu-central-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));
  const dynamo = mockClient(DynamoDBDocumentClient);
  const store = (maxAttempts = 5) => new DynamoDbSettingsStore({ table: TABLE, client: documentClient, maxAttempts, maxBackoffMs: 0 });

  beforeEach(() => dynamo.reset());
  afterEach(() => dynamo.reset());

  it('reads one item per principal with a consistent read', async () => {
    dynamo.on(GetCommand).resolves({ Item: { principal: 'alice', settings: { ...defaults(), auto_play: false }, version: 3 } });
    expect(await store().get('alice')).toEqual({ ...defaults(), auto_play: false });
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toEqual({ TableName: TABLE, Key: { principal: 'alice' }, ConsistentRead: true });
  });

  it('returns undefined for a principal without an item', async () => {
    dynamo.on(GetCommand).resolves({});
    expect(await store().get('nobody')).toBeUndefined();
  });

  it('fills fields an older item lacks with defaults', async () => {
    dynamo.on(GetCommand).resolves({ Item: { principal: 'alice', settings: { default_voice_id: 'JBFqnCBsd6RMkjVDRZzb' }, version: 1 } });
    expect(await store().get('alice')).toEqual({ ...defaults(), default_voice_id: 'JBFqnCBsd6RMkjVDRZzb' });
  });

  it('reads an item an earlier version wrote with the old default voice settings as none set, and writes that back', async () => {
    const oldDefaults = { stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1 };
    dynamo.on(GetCommand).resolves({ Item: { principal: 'alice', settings: { ...defaults(), voice_settings: oldDefaults }, version: 4 } });
    dynamo.on(PutCommand).resolves({});
    expect(await store().get('alice')).toEqual({ ...defaults(), voice_settings: null });
    await store().update('alice', (current) => ({ ...(current ?? defaults()), auto_play: false }));
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item).toEqual({ principal: 'alice', settings: { ...defaults(), auto_play: false, voice_settings: null }, version: 5 });
  });

  it('keeps voice settings an earlier version stored when the user had changed any of them', async () => {
    const changed = { stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1.1 };
    dynamo.on(GetCommand).resolves({ Item: { principal: 'alice', settings: { ...defaults(), voice_settings: changed }, version: 4 } });
    expect((await store().get('alice'))?.voice_settings).toEqual(changed);
  });

  it('creates a new item at version 1 only if none exists', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(PutCommand).resolves({});
    const saved = await store().update('bob', (current) => ({ ...(current ?? defaults()), auto_play: false }));
    expect(saved.auto_play).toBe(false);
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: { principal: 'bob', settings: { ...defaults(), auto_play: false }, version: 1 },
      ConditionExpression: 'attribute_not_exists(principal)',
    });
  });

  it('writes the next version on condition that the read version is still current', async () => {
    dynamo.on(GetCommand).resolves({ Item: { principal: 'carol', settings: defaults(), version: 7 } });
    dynamo.on(PutCommand).resolves({});
    await store().update('carol', (current) => ({ ...(current ?? defaults()), output_format: 'opus_48000_64' }));
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: { principal: 'carol', version: 8, settings: { output_format: 'opus_48000_64' } },
      ConditionExpression: '#version = :version',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':version': 7 },
    });
  });

  it('retries a conditional-write conflict on the fresh item, keeping the other writer\'s change', async () => {
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: { principal: 'dave', settings: defaults(), version: 1 } })
      .resolves({ Item: { principal: 'dave', settings: { ...defaults(), auto_play: false }, version: 2 } });
    dynamo.on(PutCommand).rejectsOnce(conflict()).resolves({});
    const seen: (Settings | undefined)[] = [];
    const saved = await store().update('dave', (current) => {
      seen.push(current);
      return { ...(current ?? defaults()), voice_settings: { ...(current ?? defaults()).voice_settings, speed: 1.1 } };
    });
    expect(seen.map((settings) => settings?.auto_play)).toEqual([true, false]);
    expect(saved).toMatchObject({ auto_play: false, voice_settings: { speed: 1.1 } });
    const puts = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(puts.map((put) => put.ExpressionAttributeValues?.[':version'])).toEqual([1, 2]);
    expect(puts[1]?.Item?.['version']).toBe(3);
  });

  it('gives up with 503 settings_unavailable after repeated conflicts', async () => {
    dynamo.on(GetCommand).resolves({ Item: { principal: 'erin', settings: defaults(), version: 1 } });
    dynamo.on(PutCommand).rejects(conflict());
    const failure = await store(3).update('erin', (current) => current ?? defaults()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(JessicaError);
    expect(failure).toMatchObject({ code: 'settings_unavailable', status: 503 });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(3);
  });

  it('reports other DynamoDB failures as settings_unavailable without retrying', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    await expect(store().update('frank', () => defaults())).rejects.toMatchObject({ code: 'settings_unavailable' });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(1);
    dynamo.on(GetCommand).rejects(new Error('network down'));
    await expect(store().get('frank')).rejects.toMatchObject({ code: 'settings_unavailable' });
  });

  it('loses no change when many updates of one principal race', async () => {
    // A one-table DynamoDB that honours the conditions the store sends.
    const table = new Map<string, { principal: string; settings: Settings; version: number }>();
    dynamo.on(GetCommand).callsFake(async (input: { Key: { principal: string } }) => {
      await new Promise((resolve) => setImmediate(resolve));
      const item = table.get(input.Key.principal);
      return item ? { Item: structuredClone(item) } : {};
    });
    dynamo.on(PutCommand).callsFake(async (input: PutCommandInput) => {
      await new Promise((resolve) => setImmediate(resolve));
      const item = input.Item as { principal: string; settings: Settings; version: number };
      const current = table.get(item.principal);
      const expected = input.ExpressionAttributeValues?.[':version'] as number | undefined;
      const ok = input.ConditionExpression === 'attribute_not_exists(principal)' ? current === undefined : current?.version === expected;
      if (!ok) throw conflict();
      table.set(item.principal, structuredClone(item));
      return {};
    });
    const racing = new DynamoDbSettingsStore({ table: TABLE, client: documentClient, maxAttempts: 20, maxBackoffMs: 2 });
    const keys = ['stability', 'similarity_boost', 'style'] as const;
    await Promise.all(
      keys.map((key, index) =>
        racing.update('grace', (current) => {
          const base = current ?? defaults();
          return { ...base, voice_settings: { ...base.voice_settings, [key]: 0.11 * (index + 1) } };
        }),
      ),
    );
    const stored = table.get('grace');
    expect(stored?.version).toBe(3);
    expect(stored?.settings.voice_settings).toMatchObject({ stability: 0.11, similarity_boost: 0.22, style: 0.33 });
    expect(dynamo.commandCalls(PutCommand).length).toBeGreaterThan(3);
  });

  it('is built by dynamoSettingsStore for JESSICA_SETTINGS=dynamodb:<table>', async () => {
    dynamo.on(GetCommand).resolves({});
    await dynamoSettingsStore('other-table', documentClient).get('henry');
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input.TableName).toBe('other-table');
  });
});
