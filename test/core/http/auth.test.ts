import { describe, expect, it } from 'vitest';
import { authenticate, LOCAL_PRINCIPAL } from '../../../core/http/auth.js';

const tokens = [
  { principal: 'alice', token: 'alice-token-123456' },
  { principal: 'bob', token: 'bob-token-abcdefgh' },
];

function refusal(credentials: Parameters<typeof authenticate>[1]): unknown {
  try {
    authenticate({ tokens }, credentials);
  } catch (error) {
    return error;
  }
  throw new Error('expected authenticate to refuse');
}

describe('authenticate', () => {
  it('answers the local principal when auth is off', () => {
    expect(authenticate({ tokens: undefined }, {})).toBe(LOCAL_PRINCIPAL);
    expect(LOCAL_PRINCIPAL).toBe('local');
  });

  it('finds the principal of a bearer token, whatever the scheme’s case and spacing', () => {
    expect(authenticate({ tokens }, { authorization: 'Bearer alice-token-123456' })).toBe('alice');
    expect(authenticate({ tokens }, { authorization: '  bearer    bob-token-abcdefgh  ' })).toBe('bob');
    expect(authenticate({ tokens }, { authorization: 'BEARER bob-token-abcdefgh' })).toBe('bob');
  });

  it('accepts a query token only when there is no Authorization header', () => {
    expect(authenticate({ tokens }, { queryToken: 'bob-token-abcdefgh' })).toBe('bob');
    expect(refusal({ authorization: 'Bearer wrong-token', queryToken: 'bob-token-abcdefgh' })).toMatchObject({ code: 'unauthorized' });
  });

  it('refuses missing, malformed, unknown and near-miss tokens with 401 unauthorized', () => {
    const attempts = [
      {},
      { authorization: '' },
      { authorization: 'alice-token-123456' },
      { authorization: 'Basic alice-token-123456' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer alice-token-123456 extra' },
      { authorization: 'Bearer alice-token-12345' },
      { authorization: 'Bearer alice-token-1234567' },
      { authorization: 'Bearer ALICE-TOKEN-123456' },
      { queryToken: '' },
    ];
    for (const credentials of attempts) {
      const error = refusal(credentials);
      expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
      expect((error as Error).message).not.toContain('alice-token');
    }
  });

  it('never matches a principal’s name used as its token', () => {
    expect(refusal({ authorization: 'Bearer alice' })).toMatchObject({ code: 'unauthorized' });
  });
});
