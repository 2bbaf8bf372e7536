import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, isLoopbackHost, loadConfig } from '../../core/config.js';

const HOME = '/home/tester';

function configError(env: Record<string, string | undefined>, options: Parameters<typeof loadConfig>[1] = {}): ConfigError {
  try {
    loadConfig(env, { home: HOME, ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({}, { home: HOME });
    expect(config).toEqual({
      target: 'fargate',
      elevenLabsApiKey: undefined,
      elevenLabsApiKeyParam: undefined,
      elevenLabsBaseUrl: 'https://api.elevenlabs.io',
      host: '127.0.0.1',
      port: 9020,
      rootPath: '',
      tokens: undefined,
      allowAnonymous: false,
      allowedOrigins: undefined,
      allowedHosts: { any: false, names: new Set(['localhost', '127.0.0.1', '[::1]']), suffixes: [], ipLiterals: false },
      settings: { kind: 'file', path: join(HOME, '.config', 'jessica', 'settings.json') },
      logLevel: 'INFO',
      logFormat: undefined,
      maxTextLength: 20_000,
      upstreamTimeoutMs: 15_000,
      upstreamConcurrency: 4,
      upstreamRetries: 2,
      drainTimeoutMs: 25_000,
      cacheBytes: 32 * 1024 * 1024,
      catalogTtlMs: 5 * 60_000,
      rateLimitPerMinute: 600,
      characterLimitPerMinute: 100_000,
      floodLimitPerMinute: 12_000,
      publicUrl: undefined,
      pubsubUrl: undefined,
    });
  });

  it('returns a frozen object, tokens included', () => {
    const config = loadConfig({ JESSICA_TOKENS: 'alice:alice-secret-1', JESSICA_ALLOWED_ORIGINS: 'https://a.example' }, { home: HOME });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.tokens)).toBe(true);
    expect(Object.isFrozen(config.tokens?.[0])).toBe(true);
    expect(Object.isFrozen(config.allowedOrigins)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('reads every variable it knows', () => {
    const config = loadConfig(
      {
        ELEVENLABS_API_KEY: ' sk-key ',
        ELEVENLABS_API_KEY_PARAM: '/jessica/key',
        ELEVENLABS_BASE_URL: 'https://api.eu.residency.elevenlabs.io/',
        HOST: 'localhost',
        PORT: '0',
        ROOT_PATH: '/jessica/',
        JESSICA_TOKENS: 'alice:alice-secret-1, bob : bob-secret-22 ,',
        JESSICA_ALLOWED_ORIGINS: 'https://a.example, http://localhost:3000/',
        JESSICA_SETTINGS: 'dynamodb:jessica-settings',
        LOG_LEVEL: 'warning',
        JESSICA_MAX_TEXT: '500',
        JESSICA_UPSTREAM_TIMEOUT_MS: '100',
        JESSICA_UPSTREAM_CONCURRENCY: '9',
        JESSICA_UPSTREAM_RETRIES: '0',
        JESSICA_DRAIN_TIMEOUT_MS: '0',
        JESSICA_CACHE_BYTES: '1024',
        JESSICA_CATALOG_TTL_MS: '10',
        JESSICA_RATE_LIMIT: '5',
        JESSICA_PUBLIC_URL: 'https://jessica.example/app',
        JESSICA_PUBSUB: 'rediss://cache.example:6380',
      },
      { home: HOME },
    );
    expect(config).toMatchObject({
      elevenLabsApiKey: 'sk-key',
      elevenLabsApiKeyParam: '/jessica/key',
      elevenLabsBaseUrl: 'https://api.eu.residency.elevenlabs.io',
      host: 'localhost',
      port: 0,
      rootPath: '/jessica',
      tokens: [
        { principal: 'alice', token: 'alice-secret-1' },
        { principal: 'bob', token: 'bob-secret-22' },
      ],
      allowedOrigins: ['https://a.example', 'http://localhost:3000'],
      settings: { kind: 'dynamodb', table: 'jessica-settings' },
      logLevel: 'WARN',
      maxTextLength: 500,
      upstreamTimeoutMs: 100,
      upstreamConcurrency: 9,
      upstreamRetries: 0,
      drainTimeoutMs: 0,
      cacheBytes: 1024,
      catalogTtlMs: 10,
      rateLimitPerMinute: 5,
      publicUrl: 'https://jessica.example/app',
      pubsubUrl: 'rediss://cache.example:6380',
    });
  });

  it('treats blank variables as unset', () => {
    expect(loadConfig({ PORT: '  ', ELEVENLABS_API_KEY: '', ROOT_PATH: '/' }, { home: HOME })).toMatchObject({ port: 9020, elevenLabsApiKey: undefined, rootPath: '' });
  });

  it('reads the settings location kinds', () => {
    expect(loadConfig({ JESSICA_SETTINGS: 'memory:' }, { home: HOME }).settings).toEqual({ kind: 'memory' });
    expect(loadConfig({ JESSICA_SETTINGS: 'file:/tmp/s.json' }, { home: HOME }).settings).toEqual({ kind: 'file', path: '/tmp/s.json' });
  });

  it('accepts every log level in any case', () => {
    for (const [raw, level] of [
      ['debug', 'DEBUG'],
      ['INFO', 'INFO'],
      ['Warn', 'WARN'],
      ['error', 'ERROR'],
      ['silent', 'SILENT'],
    ]) {
      expect(loadConfig({ LOG_LEVEL: raw }, { home: HOME }).logLevel).toBe(level);
    }
  });

  it('reads LOG_FORMAT in any case, and leaves it to the adapter when unset', () => {
    expect(loadConfig({ LOG_FORMAT: 'JSON' }, { home: HOME }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }, { home: HOME }).logFormat).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: ' ' }, { home: HOME }).logFormat).toBeUndefined();
  });

  describe('names the variable of each invalid value', () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['LOG_FORMAT', { LOG_FORMAT: 'text' }],
      ['PORT', { PORT: 'eighty' }],
      ['PORT', { PORT: '70000' }],
      ['PORT', { PORT: '-1' }],
      ['ROOT_PATH', { ROOT_PATH: 'jessica' }],
      ['ROOT_PATH', { ROOT_PATH: '/jess ica' }],
      ['JESSICA_TOKENS', { JESSICA_TOKENS: 'alice' }],
      ['JESSICA_TOKENS', { JESSICA_TOKENS: 'alice:short' }],
      ['JESSICA_TOKENS', { JESSICA_TOKENS: 'bad name:long-enough-token' }],
      ['JESSICA_TOKENS', { JESSICA_TOKENS: 'alice:first-token-1,alice:second-token-2' }],
      ['JESSICA_TOKENS', { JESSICA_TOKENS: ' , ' }],
      ['JESSICA_ALLOWED_ORIGINS', { JESSICA_ALLOWED_ORIGINS: '*' }],
      ['JESSICA_ALLOWED_ORIGINS', { JESSICA_ALLOWED_ORIGINS: 'https://a.example/path' }],
      ['JESSICA_ALLOWED_ORIGINS', { JESSICA_ALLOWED_ORIGINS: 'ftp://a.example' }],
      ['JESSICA_ALLOWED_ORIGINS', { JESSICA_ALLOWED_ORIGINS: 'not a url' }],
      ['JESSICA_SETTINGS', { JESSICA_SETTINGS: 'file:' }],
      ['JESSICA_SETTINGS', { JESSICA_SETTINGS: 'dynamodb:x' }],
      ['JESSICA_SETTINGS', { JESSICA_SETTINGS: 'redis://somewhere' }],
      ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
      ['ELEVENLABS_BASE_URL', { ELEVENLABS_BASE_URL: 'api.elevenlabs.io' }],
      ['ELEVENLABS_BASE_URL', { ELEVENLABS_BASE_URL: 'ftp://api.elevenlabs.io' }],
      ['JESSICA_ALLOW_ANONYMOUS', { JESSICA_ALLOW_ANONYMOUS: 'maybe' }],
      ['JESSICA_MAX_TEXT', { JESSICA_MAX_TEXT: '0' }],
      ['JESSICA_UPSTREAM_TIMEOUT_MS', { JESSICA_UPSTREAM_TIMEOUT_MS: '1.5' }],
      ['JESSICA_PUBLIC_URL', { JESSICA_PUBLIC_URL: 'ws://x.example' }],
      ['JESSICA_PUBSUB', { JESSICA_PUBSUB: 'http://x.example' }],
      ['JESSICA_ALLOWED_HOSTS', { JESSICA_ALLOWED_HOSTS: 'not a host' }],
      ['JESSICA_ALLOWED_HOSTS', { JESSICA_ALLOWED_HOSTS: 'https://a.example' }],
      ['JESSICA_ALLOWED_HOSTS', { JESSICA_ALLOWED_HOSTS: '*' }],
      ['JESSICA_ALLOWED_HOSTS', { JESSICA_ALLOWED_HOSTS: '*,a.example', JESSICA_TOKENS: 'alice:alice-secret-1' }],
    ];
    for (const [variable, env] of cases) {
      it(`${variable} for ${JSON.stringify(env)}`, () => {
        const error = configError(env);
        expect(error.variable).toBe(variable);
        expect(error.message.startsWith(`${variable}: `)).toBe(true);
        expect(error.name).toBe('ConfigError');
      });
    }
  });

  it('never puts a token in an error message', () => {
    const tokens = ['alice:tiny', 'alice:secret-token-number-one,alice:secret-token-number-two', 'bad name:another-secret-value', ':lonely-secret-value', 'just-a-secret-value'];
    for (const raw of tokens) {
      const error = configError({ JESSICA_TOKENS: raw });
      for (const secret of raw.split(/[,:]/).filter((part) => part.length >= 4 && part !== 'alice')) expect(error.message).not.toContain(secret.trim());
    }
  });

  it('refuses to bind a non-loopback address without tokens', () => {
    const error = configError({ HOST: '0.0.0.0' });
    expect(error.variable).toBe('JESSICA_TOKENS');
    expect(error.message).toContain('JESSICA_ALLOW_ANONYMOUS');
  });

  it('binds a non-loopback address without tokens when anonymous use is allowed explicitly', () => {
    expect(loadConfig({ HOST: '0.0.0.0', JESSICA_ALLOW_ANONYMOUS: 'true' }, { home: HOME })).toMatchObject({ host: '0.0.0.0', allowAnonymous: true, tokens: undefined });
    expect(loadConfig({ HOST: '0.0.0.0', JESSICA_TOKENS: 'alice:alice-secret-1' }, { home: HOME }).tokens).toHaveLength(1);
  });

  it('needs tokens on Lambda whatever HOST says', () => {
    const error = configError({}, { target: 'lambda' });
    expect(error.variable).toBe('JESSICA_TOKENS');
    expect(error.message).toContain('Lambda');
    expect(loadConfig({ JESSICA_TOKENS: 'alice:alice-secret-1' }, { target: 'lambda', home: HOME }).target).toBe('lambda');
    expect(loadConfig({ JESSICA_ALLOW_ANONYMOUS: 'yes' }, { target: 'lambda', home: HOME }).allowAnonymous).toBe(true);
  });

  it('reads false-like values of JESSICA_ALLOW_ANONYMOUS as false', () => {
    for (const raw of ['false', '0', 'NO']) expect(configError({ HOST: '0.0.0.0', JESSICA_ALLOW_ANONYMOUS: raw }).variable).toBe('JESSICA_TOKENS');
  });
});

describe('allowed hosts (DNS-rebinding protection)', () => {
  const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];
  const policyOf = (env: Record<string, string>) => loadConfig(env, { home: HOME }).allowedHosts;

  it('serves the loopback names only by default, and no IP literal', () => {
    expect(policyOf({})).toEqual({ any: false, names: new Set(LOOPBACK), suffixes: [], ipLiterals: false });
  });

  it('adds the hosts of JESSICA_PUBLIC_URL and of each allowed origin, and IP literals beyond loopback', () => {
    const env = { HOST: '0.0.0.0', JESSICA_TOKENS: 'alice:alice-secret-1', JESSICA_PUBLIC_URL: 'https://Jessica.example.io/jessica/', JESSICA_ALLOWED_ORIGINS: 'https://page.example.io:8443' };
    expect(policyOf(env)).toEqual({ any: false, names: new Set([...LOOPBACK, 'jessica.example.io', 'page.example.io']), suffixes: [], ipLiterals: true });
  });

  it('serves exactly the names of JESSICA_ALLOWED_HOSTS (and the loopback names) when it is set', () => {
    const env = { JESSICA_ALLOWED_HOSTS: 'api.example.io:443, .internal.example ,LAN-box', JESSICA_PUBLIC_URL: 'https://jessica.example.io/' };
    expect(policyOf(env)).toEqual({ any: false, names: new Set([...LOOPBACK, 'api.example.io', 'lan-box']), suffixes: ['.internal.example'], ipLiterals: false });
  });

  it('serves any Host with "*" when tokens guard every route', () => {
    expect(policyOf({ JESSICA_ALLOWED_HOSTS: '*', JESSICA_TOKENS: 'alice:alice-secret-1' })).toEqual({ any: true });
  });
});

describe('isLoopbackHost', () => {
  it('knows the loopback names and the whole 127/8 range', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '127.0.0.1.example.com']) expect(isLoopbackHost(host)).toBe(false);
  });
});
