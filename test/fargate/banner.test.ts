import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/index.js';
import { banner } from '../../fargate/banner.js';
import { prettyLogger } from '../../fargate/observability.js';

describe('terminal output', () => {
  const config = loadConfig({ JESSICA_SETTINGS: 'file:/home/me/.config/jessica/settings.json' }, { home: '/home/me' });

  it('the banner names the page, the settings, how to connect, and what to do without a key', () => {
    const text = banner({ version: '1.2.3', pageUrl: 'http://127.0.0.1:9020/', config, keyConfigured: false, envFile: '/home/me/.config/jessica/env' });
    expect(text).toContain('Page:      http://127.0.0.1:9020/');
    expect(text).toContain('NOT configured');
    expect(text).toContain('Put ELEVENLABS_API_KEY=sk_... in /home/me/.config/jessica/env (chmod 600)');
    expect(text).toContain('Settings:  /home/me/.config/jessica/settings.json');
    expect(text).toContain('claude mcp add --transport http jessica http://127.0.0.1:9020/mcp');
    expect(banner({ version: '1', pageUrl: 'http://x/', config, keyConfigured: true, envFile: '/e' })).toContain('Key:       configured');
  });

  it('pretty logs: one line per entry with its fields, below-level entries dropped', () => {
    const lines: string[] = [];
    const logger = prettyLogger('WARN', (line) => lines.push(line));
    logger.info('not shown');
    logger.warn('upstream request failed', { status: 429 }, { attempt: 2, error: new Error('busy') });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d WARN {2}upstream request failed status=429 attempt=2 error=busy\n$/);
  });
});
