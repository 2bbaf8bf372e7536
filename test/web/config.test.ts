import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../web/src/config.js';

describe('page config', () => {
  it('resolves relative values against the page, so one build works under any root path', () => {
    const config = resolveConfig({ apiBase: './api/v1', wsUrl: './ws', healthUrl: './health' }, 'https://example.org/jessica/');
    expect(config).toMatchObject({
      apiBase: 'https://example.org/jessica/api/v1',
      wsUrl: 'wss://example.org/jessica/ws',
      healthUrl: 'https://example.org/jessica/health',
      title: 'Jessica',
      requiresAuth: false,
    });
  });

  it('keeps root-relative and absolute values as given, with ws schemes for the live channel', () => {
    const config = resolveConfig({ apiBase: '/api/v1/', wsUrl: 'https://live.example.org/ws', healthUrl: '/health', title: 'Voice' }, 'http://127.0.0.1:9020/');
    expect(config.apiBase).toBe('http://127.0.0.1:9020/api/v1');
    expect(config.wsUrl).toBe('wss://live.example.org/ws');
    expect(config.healthUrl).toBe('http://127.0.0.1:9020/health');
    expect(config.title).toBe('Voice');
  });

  it('falls back to the defaults for missing or malformed fields', () => {
    const config = resolveConfig({ apiBase: 42, wsUrl: '', requiresAuth: 'yes' }, 'http://localhost:9020/');
    expect(config.apiBase).toBe('http://localhost:9020/api/v1');
    expect(config.wsUrl).toBe('ws://localhost:9020/ws');
    expect(config.requiresAuth).toBe(false);
  });
});
