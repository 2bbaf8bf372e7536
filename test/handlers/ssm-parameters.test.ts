import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config.js';
import { readSecretParameter, resolveSecretParameters } from '../../handlers/aws/ssm-parameters.js';

const KEY_PARAM = '/jessica/dev/elevenlabs-api-key';
const TOKENS_PARAM = '/jessica/dev/tokens';
const SECRET_KEY = 'sk_live_do_not_print_me';

describe('SSM SecureString parameters', () => {
  const ssm = mockClient(SSMClient);
  const client = new SSMClient({ region: 'eu-central-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

  beforeEach(() => ssm.reset());

  it('fills the key and the tokens from their parameters in one decrypted read', async () => {
    ssm.on(GetParametersCommand).resolves({
      Parameters: [
        { Name: KEY_PARAM, Value: SECRET_KEY, Type: 'SecureString' },
        { Name: TOKENS_PARAM, Value: 'alice:token-0123456789', Type: 'SecureString' },
      ],
      InvalidParameters: [],
    });
    const env = await resolveSecretParameters({ ELEVENLABS_API_KEY_PARAM: KEY_PARAM, JESSICA_TOKENS_PARAM: TOKENS_PARAM, ROOT_PATH: '/jessica' }, () => client);
    expect(env).toMatchObject({ ELEVENLABS_API_KEY: SECRET_KEY, JESSICA_TOKENS: 'alice:token-0123456789', ROOT_PATH: '/jessica' });
    expect(ssm.commandCalls(GetParametersCommand)).toHaveLength(1);
    expect(ssm.commandCalls(GetParametersCommand)[0]?.args[0].input).toEqual({ Names: [KEY_PARAM, TOKENS_PARAM], WithDecryption: true });
  });

  it('reads nothing when no parameter is named', async () => {
    let built = false;
    const env = { ELEVENLABS_API_KEY_PARAM: '  ', ROOT_PATH: '/jessica' };
    expect(
      await resolveSecretParameters(env, () => {
        built = true;
        return client;
      }),
    ).toBe(env);
    expect(built).toBe(false);
  });

  it('prefers a value set directly in the environment over its parameter', async () => {
    ssm.on(GetParametersCommand).resolves({ Parameters: [{ Name: TOKENS_PARAM, Value: 'bob:token-0123456789' }] });
    const env = await resolveSecretParameters({ ELEVENLABS_API_KEY: 'direct', ELEVENLABS_API_KEY_PARAM: KEY_PARAM, JESSICA_TOKENS_PARAM: TOKENS_PARAM }, () => client);
    expect(env['ELEVENLABS_API_KEY']).toBe('direct');
    expect(ssm.commandCalls(GetParametersCommand)[0]?.args[0].input.Names).toEqual([TOKENS_PARAM]);
  });

  it('fails with a ConfigError naming the variable and the missing parameter', async () => {
    ssm.on(GetParametersCommand).resolves({ Parameters: [{ Name: TOKENS_PARAM, Value: 'bob:token-0123456789' }], InvalidParameters: [KEY_PARAM] });
    const failure = await resolveSecretParameters({ ELEVENLABS_API_KEY_PARAM: KEY_PARAM, JESSICA_TOKENS_PARAM: TOKENS_PARAM }, () => client).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect(failure).toMatchObject({ variable: 'ELEVENLABS_API_KEY_PARAM' });
    expect((failure as Error).message).toContain(`"${KEY_PARAM}" does not exist`);
    expect((failure as Error).message).not.toContain('bob:token');
  });

  it('reports a failed read by the error name only', async () => {
    ssm.on(GetParametersCommand).rejects(Object.assign(new Error(`User is not authorized to read ${KEY_PARAM}`), { name: 'AccessDeniedException' }));
    const failure = await resolveSecretParameters({ ELEVENLABS_API_KEY_PARAM: KEY_PARAM }, () => client).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toBe(`ELEVENLABS_API_KEY_PARAM: reading SSM parameter "${KEY_PARAM}" failed (AccessDeniedException)`);
  });

  it('reads a single secret for the Fargate service', async () => {
    ssm.on(GetParametersCommand).resolves({ Parameters: [{ Name: KEY_PARAM, Value: SECRET_KEY }] });
    expect(await readSecretParameter(KEY_PARAM, { client })).toBe(SECRET_KEY);
    ssm.on(GetParametersCommand).resolves({ Parameters: [], InvalidParameters: [KEY_PARAM] });
    await expect(readSecretParameter(KEY_PARAM, { client })).rejects.toThrow(/^ELEVENLABS_API_KEY_PARAM: SSM parameter/);
  });
});
