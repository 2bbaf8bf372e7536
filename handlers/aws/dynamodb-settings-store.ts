import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { JessicaError } from '../../core/errors.js';
import type { SettingsStore } from '../../core/ports.js';
import { withDefaults } from '../../core/settings/schema.js';
import type { Settings } from '../../core/types.js';

export interface DynamoDbSettingsStoreOptions {
  table: string;
  /** Default: a DocumentClient over a DynamoDBClient for the ambient region and credentials. */
  client?: DynamoDBDocumentClient;
  /** Read-modify-write rounds before a conflicting update gives up (default 5). */
  maxAttempts?: number;
  /** Longest pause between conflicting rounds, in ms; each pause is random up to it (default 50). */
  maxBackoffMs?: number;
}

interface StoredItem {
  settings: unknown;
  version: number | undefined;
}

/**
 * Settings in DynamoDB, one item per principal: `principal` (S, the key), `settings` (M) and
 * `version` (N). Updates are optimistic: read, apply the change, then put on condition that the
 * version is still the one read (or that no item exists yet). A conflicting writer makes the
 * condition fail, and the round is repeated on the fresh item, so no concurrent change is lost
 * whichever task or function wrote it. The Fargate service and the Lambda handlers share it.
 *
 * @example
 * const store = new DynamoDbSettingsStore({ table: 'jessica-settings' });
 * await store.update('alice', (current) => ({ ...(current ?? DEFAULT_SETTINGS), auto_play: false }));
 */
export class DynamoDbSettingsStore implements SettingsStore {
  readonly #table: string;
  readonly #client: DynamoDBDocumentClient;
  readonly #maxAttempts: number;
  readonly #maxBackoffMs: number;

  constructor(options: DynamoDbSettingsStoreOptions) {
    this.#table = options.table;
    this.#client = options.client ?? createDocumentClient();
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.#maxBackoffMs = Math.max(0, options.maxBackoffMs ?? 50);
  }

  async get(principal: string): Promise<Settings | undefined> {
    const item = await this.#read(principal);
    return item === undefined ? undefined : withDefaults(item.settings);
  }

  async update(principal: string, change: (current: Settings | undefined) => Settings): Promise<Settings> {
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt += 1) {
      const item = await this.#read(principal);
      const next = change(item === undefined ? undefined : withDefaults(item.settings));
      if (await this.#write(principal, next, item)) return structuredClone(next);
      if (attempt < this.#maxAttempts && this.#maxBackoffMs > 0) await sleep(Math.random() * this.#maxBackoffMs * attempt);
    }
    throw new JessicaError('settings_unavailable', 'Your settings were being changed elsewhere at the same time; try again.', {
      retryAfterSeconds: 1,
    });
  }

  async #read(principal: string): Promise<StoredItem | undefined> {
    let output;
    try {
      // Consistent reads: a GET right after a PATCH on another instance sees the change.
      output = await this.#client.send(new GetCommand({ TableName: this.#table, Key: { principal }, ConsistentRead: true }));
    } catch (error) {
      throw unavailable(error);
    }
    if (output.Item === undefined) return undefined;
    const version = output.Item['version'];
    return { settings: output.Item['settings'], version: typeof version === 'number' ? version : undefined };
  }

  /** True once written; false when another writer got there first. */
  async #write(principal: string, settings: Settings, previous: StoredItem | undefined): Promise<boolean> {
    const condition =
      previous === undefined
        ? { ConditionExpression: 'attribute_not_exists(principal)' }
        : previous.version === undefined
          ? { ConditionExpression: 'attribute_exists(principal) AND attribute_not_exists(#version)', ExpressionAttributeNames: { '#version': 'version' } }
          : {
              ConditionExpression: '#version = :version',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':version': previous.version },
            };
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { principal, settings, version: (previous?.version ?? 0) + 1 },
          ...condition,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw unavailable(error);
    }
  }
}

/** The store for `JESSICA_SETTINGS=dynamodb:<table>` (composeJessica's `remoteSettingsStore`). */
export function dynamoSettingsStore(table: string, client?: DynamoDBDocumentClient): SettingsStore {
  return new DynamoDbSettingsStore({ table, ...(client ? { client } : {}) });
}

export function createDocumentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error instanceof Error && error.name === 'ConditionalCheckFailedException');
}

function unavailable(cause: unknown): JessicaError {
  return new JessicaError('settings_unavailable', 'The settings store is unavailable right now; try again shortly.', { cause, retryAfterSeconds: 1 });
}
