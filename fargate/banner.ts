import type { Config } from '../core/index.js';

export interface BannerFacts {
  version: string;
  /** The page's address, root path and trailing slash included. */
  pageUrl: string;
  config: Config;
  /** Whether the server holds an ElevenLabs key (from the environment or SSM). */
  keyConfigured: boolean;
  envFile: string;
}

/** What a person at a terminal needs after `npm start`: where to go, what is missing, what next. */
export function banner(facts: BannerFacts): string {
  const { config } = facts;
  const settings =
    config.settings.kind === 'file' ? config.settings.path : config.settings.kind === 'memory' ? 'in memory (lost at exit)' : `DynamoDB table ${config.settings.table}`;
  const key = facts.keyConfigured
    ? 'configured'
    : [
        'NOT configured: speech answers 503 upstream_not_configured.',
        `             Put ELEVENLABS_API_KEY=sk_... in ${facts.envFile} (chmod 600),`,
        '             or export it in this shell, then restart.',
      ].join('\n');
  const header = config.tokens ? ` --header "Authorization: Bearer <token>"` : '';
  const lines = [
    '',
    `  Jessica ${facts.version} is running`,
    '',
    `  Page:      ${facts.pageUrl}  (open it, click Enable audio if asked)`,
    `  Key:       ${key}`,
    `  Settings:  ${settings}`,
    `  Env file:  ${facts.envFile}`,
    `  Assistant: claude mcp add --transport http jessica ${facts.pageUrl}mcp${header}`,
    '             Claude Desktop, Cursor and hooks: see README, "Connect your assistant"',
    '  Check:     jessica doctor        Always on: jessica service install',
    '',
    '  Ctrl-C stops the server. Logs follow.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
