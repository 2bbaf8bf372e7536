import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../../core/config.js';
import { secretParametersToRead } from './secret-variables.js';

type Env = Readonly<Record<string, string | undefined>>;

const GET_PARAMETERS_LIMIT = 10;

/**
 * Fills `ELEVENLABS_API_KEY` and `JESSICA_TOKENS` from the SSM SecureStrings that
 * `ELEVENLABS_API_KEY_PARAM` and `JESSICA_TOKENS_PARAM` name, in one decrypted read. A value set
 * directly in the environment wins and its parameter is not read. A missing parameter fails
 * with a ConfigError naming the variable and the parameter, never a value.
 *
 * @example
 * const env = await resolveSecretParameters(process.env, () => new SSMClient({}));
 * const config = loadConfig(env, { target: 'lambda' });
 */
export async function resolveSecretParameters(env: Env, client: () => SSMClient = () => new SSMClient({})): Promise<Env> {
  const wanted = secretParametersToRead(env);
  if (wanted.size === 0) return env;
  const values = await readSecureParameters(client(), [...wanted.keys()], (name) => `${wanted.get(name)}_PARAM`);
  const resolved: Record<string, string | undefined> = { ...env };
  for (const [name, variable] of wanted) resolved[variable] = values.get(name);
  return resolved;
}

/**
 * Reads SecureString parameters with decryption. `variableOf` names the setting that pointed at
 * a parameter, so a missing one is reported where it was configured.
 */
export async function readSecureParameters(
  client: SSMClient,
  names: readonly string[],
  variableOf: (name: string) => string = () => 'SSM parameter',
): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (let start = 0; start < names.length; start += GET_PARAMETERS_LIMIT) {
    const batch = names.slice(start, start + GET_PARAMETERS_LIMIT);
    let output;
    try {
      output = await client.send(new GetParametersCommand({ Names: batch, WithDecryption: true }));
    } catch (error) {
      // Only the error's name: enough to tell throttling from a denied read, and never a value.
      const reason = error instanceof Error ? error.name : 'Error';
      throw new ConfigError(batch.map(variableOf).join(', '), `reading SSM parameter ${batch.map((name) => `"${name}"`).join(', ')} failed (${reason})`);
    }
    const missing = output.InvalidParameters ?? [];
    const firstMissing = missing[0];
    if (firstMissing !== undefined) {
      throw new ConfigError(
        variableOf(firstMissing),
        `SSM parameter "${firstMissing}" does not exist${missing.length > 1 ? ` (also missing: ${missing.slice(1).join(', ')})` : ''}`,
      );
    }
    for (const parameter of output.Parameters ?? []) {
      if (parameter.Name !== undefined && parameter.Value !== undefined) values.set(parameter.Name, parameter.Value);
    }
  }
  for (const name of names) {
    if (!values.has(name)) throw new ConfigError(variableOf(name), `SSM parameter "${name}" returned no value`);
  }
  return values;
}

/**
 * One SecureString, decrypted: for a composition root that reads a single secret at start-up
 * (the Fargate service's `ELEVENLABS_API_KEY_PARAM`). `variable` names the setting in errors.
 *
 * @example
 * const apiKey = await readSecretParameter('/jessica/prod/elevenlabs-api-key');
 */
export async function readSecretParameter(
  name: string,
  options: { variable?: string; client?: SSMClient } = {},
): Promise<string> {
  const variable = options.variable ?? 'ELEVENLABS_API_KEY_PARAM';
  const values = await readSecureParameters(options.client ?? new SSMClient({}), [name], () => variable);
  return values.get(name) as string;
}
