import { describe, expect, it } from 'vitest';
import { hostName, isHostAllowed, isIpLiteral, type HostPolicy } from '../../../core/http/host.js';

const policy = (overrides: Partial<Extract<HostPolicy, { any: false }>> = {}): HostPolicy => ({
  any: false,
  names: new Set(['localhost', '127.0.0.1', '[::1]', 'jessica.example.io']),
  suffixes: [],
  ipLiterals: false,
  ...overrides,
});

describe('hostName', () => {
  it('takes the name of a Host header, lower-case, without port or trailing dot', () => {
    expect(hostName('LocalHost:9020')).toBe('localhost');
    expect(hostName('localhost.')).toBe('localhost');
    expect(hostName('[::1]:9020')).toBe('[::1]');
    expect(hostName(' jessica.example.io ')).toBe('jessica.example.io');
  });

  it('finds no name in a malformed header', () => {
    for (const header of [undefined, '', ':9020', 'a b', 'localhost:port', 'localhost:9020@evil.example', '[::1', '[::1]x', 'evil.example/path', 'localhost:123456', '-x.example']) {
      expect({ header, name: hostName(header) }).toEqual({ header, name: undefined });
    }
  });
});

describe('isHostAllowed', () => {
  it('serves the listed names on any port and nothing else', () => {
    for (const host of ['localhost:1', '127.0.0.1:9020', '[::1]:80', 'jessica.example.io', 'JESSICA.example.io:443']) expect(isHostAllowed(host, policy())).toBe(true);
    for (const host of [undefined, 'evil.example:9020', 'localhost.evil.example', 'jessica.example.io.evil.example', '10.0.0.1', '[fd00::1]']) {
      expect({ host, allowed: isHostAllowed(host, policy()) }).toEqual({ host, allowed: false });
    }
  });

  it('serves IP literals only where the policy says so', () => {
    expect(isHostAllowed('10.0.0.1:9020', policy({ ipLiterals: true }))).toBe(true);
    expect(isHostAllowed('[fd00::1]:9020', policy({ ipLiterals: true }))).toBe(true);
    expect(isHostAllowed('10.0.0.1.evil.example', policy({ ipLiterals: true }))).toBe(false);
    expect(isIpLiteral('256.1.1.1')).toBe(false);
  });

  it('serves any name below a listed suffix, not the suffix lookalikes', () => {
    const below = policy({ suffixes: ['.example.org'] });
    expect(isHostAllowed('a.example.org', below)).toBe(true);
    expect(isHostAllowed('a.b.example.org:8443', below)).toBe(true);
    expect(isHostAllowed('evilexample.org', below)).toBe(false);
  });

  it('serves the name the platform already matched the request to', () => {
    expect(isHostAllowed('abc.execute-api.eu-central-1.amazonaws.com', policy(), 'abc.execute-api.eu-central-1.amazonaws.com')).toBe(true);
    expect(isHostAllowed('evil.example', policy(), 'abc.execute-api.eu-central-1.amazonaws.com')).toBe(false);
  });

  it('serves everything under the wildcard policy', () => {
    expect(isHostAllowed('evil.example', { any: true })).toBe(true);
  });
});
