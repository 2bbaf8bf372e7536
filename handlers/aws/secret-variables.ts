type Env = Readonly<Record<string, string | undefined>>;

/** Secrets that may come from an SSM SecureString named by `<NAME>_PARAM` instead of the environment. */
export const SECRET_VARIABLES = ['ELEVENLABS_API_KEY', 'JESSICA_TOKENS'] as const;

export type SecretVariable = (typeof SECRET_VARIABLES)[number];

const present = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/**
 * The SSM parameters to read, by name, each with the variable it fills: those a `<NAME>_PARAM`
 * names while `<NAME>` itself is unset. Empty when nothing is to be read, so the SSM client need
 * not even be loaded.
 */
export function secretParametersToRead(env: Env): Map<string, SecretVariable> {
  const wanted = new Map<string, SecretVariable>();
  for (const variable of SECRET_VARIABLES) {
    const name = env[`${variable}_PARAM`]?.trim();
    if (!present(env[variable]) && present(name)) wanted.set(name, variable);
  }
  return wanted;
}
