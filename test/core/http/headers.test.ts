import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, corsHeaders, isOriginAllowed, SECURITY_HEADERS } from '../../../core/http/headers.js';

describe('isOriginAllowed', () => {
  it('allows callers without an origin and the page’s own origin', () => {
    expect(isOriginAllowed(undefined, undefined, undefined)).toBe(true);
    expect(isOriginAllowed('', 'http://a', undefined)).toBe(true);
    expect(isOriginAllowed('http://a', 'http://a', undefined)).toBe(true);
  });

  it('allows other origins only when listed exactly', () => {
    expect(isOriginAllowed('http://b', 'http://a', undefined)).toBe(false);
    expect(isOriginAllowed('http://b', undefined, ['http://b'])).toBe(true);
    expect(isOriginAllowed('http://b:8080', 'http://a', ['http://b'])).toBe(false);
    expect(isOriginAllowed('null', 'http://a', ['http://b'])).toBe(false);
  });
});

describe('corsHeaders', () => {
  it('names the origin, varies on it and never uses a wildcard', () => {
    const headers = corsHeaders('https://app.example');
    expect(headers['access-control-allow-origin']).toBe('https://app.example');
    expect(headers['vary']).toBe('Origin');
    expect(Object.values(headers)).not.toContain('*');
    expect(headers['access-control-allow-headers']).toContain('authorization');
  });
});

describe('SECURITY_HEADERS', () => {
  it('forbids sniffing, framing and referrers, and is frozen', () => {
    expect(SECURITY_HEADERS).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
    expect(Object.isFrozen(SECURITY_HEADERS)).toBe(true);
  });
});

describe('contentSecurityPolicy', () => {
  it('allows scripts from the page only and connections to itself', () => {
    const policy = contentSecurityPolicy();
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("connect-src 'self';");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
  });

  it('adds configured origins with their WebSocket twins', () => {
    expect(contentSecurityPolicy(['https://api.example', 'http://localhost:9020'])).toContain(
      "connect-src 'self' https://api.example http://localhost:9020 wss://api.example ws://localhost:9020",
    );
  });
});
