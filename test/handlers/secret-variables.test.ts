import { describe, expect, it } from 'vitest';
import { SECRET_VARIABLES, secretParametersToRead } from '../../handlers/aws/secret-variables.js';

describe('secret parameters to read', () => {
  it('names each parameter a *_PARAM variable points at, with the variable it fills', () => {
    expect(secretParametersToRead({ ELEVENLABS_API_KEY_PARAM: ' /jessica/key ', JESSICA_TOKENS_PARAM: '/jessica/tokens' })).toEqual(
      new Map([
        ['/jessica/key', 'ELEVENLABS_API_KEY'],
        ['/jessica/tokens', 'JESSICA_TOKENS'],
      ]),
    );
  });

  it('skips a parameter whose variable is set directly, and blank names', () => {
    expect(secretParametersToRead({ ELEVENLABS_API_KEY: 'direct', ELEVENLABS_API_KEY_PARAM: '/jessica/key', JESSICA_TOKENS_PARAM: '   ' }).size).toBe(0);
    expect(secretParametersToRead({}).size).toBe(0);
  });

  it('covers the key and the tokens', () => {
    expect(SECRET_VARIABLES).toEqual(['ELEVENLABS_API_KEY', 'JESSICA_TOKENS']);
  });
});
