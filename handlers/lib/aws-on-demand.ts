import type { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../../core/config.js';
import type { SettingsStore } from '../../core/ports.js';
import { secretParametersToRead } from '../aws/secret-variables.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The AWS adapters a configuration may choose, each loaded (with its SDK client) only when the
 * configuration does choose it: a cold start that needs neither reads no AWS SDK at all. In a
 * split bundle each `import()` below is a chunk of its own.
 */

/**
 * `env` with the secrets its `*_PARAM` variables name read from SSM (resolveSecretParameters);
 * `env` itself, and the SSM client never loaded, when none is to be read.
 */
export async function withSecretParameters(env: Env, ssm?: () => SSMClient): Promise<Env> {
  if (secretParametersToRead(env).size === 0) return env;
  const { resolveSecretParameters } = await import('../aws/ssm-parameters.js');
  return resolveSecretParameters(env, ssm);
}

/**
 * What composeJessica builds the store of `JESSICA_SETTINGS=dynamodb:<table>` with; undefined,
 * and the DynamoDB client never loaded, for any other settings location.
 */
export async function remoteSettingsStoreFor(config: Config, dynamo?: DynamoDBDocumentClient): Promise<((table: string) => SettingsStore) | undefined> {
  if (config.settings.kind !== 'dynamodb') return undefined;
  const { dynamoSettingsStore } = await import('../aws/dynamodb-settings-store.js');
  return (table) => dynamoSettingsStore(table, dynamo);
}
