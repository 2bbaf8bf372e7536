import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userEnvFile } from './user-env.js';

type Env = Readonly<Record<string, string | undefined>>;
export type ServicePlatform = 'linux' | 'darwin';

export const SYSTEMD_UNIT = 'jessica.service';
export const LAUNCHD_LABEL = 'dev.jessica.server';

/** Everything a unit needs, all absolute paths. */
export interface ServicePaths {
  node: string;
  cli: string;
  envFile: string;
  /** Where the unit (systemd) or the agent's plist (launchd) is written. */
  unitFile: string;
  /** launchd only: stdout and stderr of the server. */
  logFile: string;
}

/**
 * The built CLI that the unit runs. From `dist/` this is the running file's sibling; from the
 * TypeScript sources (tsx) it is the build output, because a unit must not depend on a loader.
 */
function builtCli(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.endsWith(join('dist', 'fargate')) ? join(here, 'cli.js') : join(here, '..', 'dist', 'fargate', 'cli.js');
}

export function servicePaths(platform: ServicePlatform, env: Env): ServicePaths {
  const home = env['HOME'] || homedir();
  const configHome = env['XDG_CONFIG_HOME'] || join(home, '.config');
  return {
    node: process.execPath,
    cli: builtCli(),
    envFile: userEnvFile(env),
    unitFile:
      platform === 'linux' ? join(configHome, 'systemd', 'user', SYSTEMD_UNIT) : join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`),
    logFile: join(home, 'Library', 'Logs', 'jessica.log'),
  };
}

/** systemd quoting: a word with spaces, quotes or backslashes goes in double quotes. */
function systemdWord(word: string): string {
  return /[\s"'\\]/.test(word) ? `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"` : word;
}

/** A systemd user unit: `jessica serve` at login, restarted if it fails, key from the env file. */
export function systemdUnit(paths: ServicePaths): string {
  return [
    '[Unit]',
    'Description=Jessica text-to-speech server',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[paths.node, paths.cli, 'serve'].map(systemdWord).join(' ')}`,
    // "-": the file is optional; without it the server starts and says the key is missing.
    `EnvironmentFile=-${paths.envFile}`,
    `Environment=${systemdWord(`JESSICA_ENV_FILE=${paths.envFile}`)}`,
    'Restart=on-failure',
    'RestartSec=2',
    // A configuration error (exit 78) will not fix itself by restarting.
    'RestartPreventExitStatus=78',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A launchd agent: launchd has no env files, so `serve` reads the one JESSICA_ENV_FILE names. */
export function launchdPlist(paths: ServicePaths): string {
  const strings = (values: string[]) => values.map((value) => `    <string>${xml(value)}</string>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${strings([paths.node, paths.cli, 'serve'])}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>JESSICA_ENV_FILE</key>
    <string>${xml(paths.envFile)}</string>
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>StandardOutPath</key>
  <string>${xml(paths.logFile)}</string>
  <key>StandardErrorPath</key>
  <string>${xml(paths.logFile)}</string>
</dict>
</plist>
`;
}

export function unitText(platform: ServicePlatform, paths: ServicePaths): string {
  return platform === 'linux' ? systemdUnit(paths) : launchdPlist(paths);
}

const ENV_TEMPLATE = `# Jessica's environment, read by \`jessica serve\`, \`npm start\`, \`jessica doctor\` and the service.
# Keep this file private (chmod 600): it holds your ElevenLabs key.
# ELEVENLABS_API_KEY=sk_...
# PORT=9020
`;

/** Creates the env file (mode 0600) if missing and makes an existing one private. */
export function ensureEnvFile(path: string): { created: boolean; tightened: boolean } {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) {
    writeFileSync(path, ENV_TEMPLATE, { mode: 0o600, flag: 'wx' });
    return { created: true, tightened: false };
  }
  const loose = (statSync(path).mode & 0o077) !== 0;
  if (loose) chmodSync(path, 0o600);
  return { created: false, tightened: loose };
}

export interface CommandResult {
  status: number | null;
  output: string;
}
export type Runner = (command: string, args: string[]) => CommandResult;

const runCommand: Runner = (command, args) => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) return { status: null, output: result.error.message };
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
};

export interface ServiceOptions {
  platform: ServicePlatform;
  env: Env;
  out: (text: string) => void;
  /** Write the files but leave systemctl / launchctl alone. */
  noStart?: boolean;
  run?: Runner;
}

function launchdDomain(): string {
  return `gui/${userInfo().uid}`;
}

/** Writes the unit and the env file, then enables and starts it. Returns the exit code. */
export function installService(options: ServiceOptions): number {
  const { platform, out } = options;
  const run = options.run ?? runCommand;
  const paths = servicePaths(platform, options.env);
  if (!existsSync(paths.cli)) {
    out(`jessica service: ${paths.cli} does not exist; run \`npm run build\` first.\n`);
    return 1;
  }
  const envFile = ensureEnvFile(paths.envFile);
  mkdirSync(dirname(paths.unitFile), { recursive: true });
  writeFileSync(paths.unitFile, unitText(platform, paths));
  out(`wrote ${paths.unitFile}\n`);
  if (envFile.created) out(`created ${paths.envFile} (mode 600): put ELEVENLABS_API_KEY=sk_... in it\n`);
  if (envFile.tightened) out(`made ${paths.envFile} private (mode 600)\n`);
  if (paths.cli.includes('/_npx/')) {
    out('note: this CLI runs from the npx cache, which npm may clean; `npm install -g` gives the unit a lasting path\n');
  }
  if (options.noStart) return 0;
  const steps: Array<[string, string[]]> =
    platform === 'linux'
      ? [
          ['systemctl', ['--user', 'daemon-reload']],
          ['systemctl', ['--user', 'enable', '--now', SYSTEMD_UNIT]],
        ]
      : [['launchctl', ['bootstrap', launchdDomain(), paths.unitFile]]];
  if (platform === 'darwin') run('launchctl', ['bootout', `${launchdDomain()}/${LAUNCHD_LABEL}`]); // an older copy, if loaded
  for (const [command, args] of steps) {
    const result = run(command, args);
    if (result.status !== 0) {
      out(`jessica service: \`${command} ${args.join(' ')}\` failed${result.output ? `: ${result.output}` : ''}\n`);
      return 1;
    }
  }
  out(`Jessica starts at login and runs now; check it with \`jessica doctor\`.\n`);
  return 0;
}

export function uninstallService(options: ServiceOptions): number {
  const { platform, out } = options;
  const run = options.run ?? runCommand;
  const paths = servicePaths(platform, options.env);
  if (!options.noStart) {
    if (platform === 'linux') run('systemctl', ['--user', 'disable', '--now', SYSTEMD_UNIT]);
    else run('launchctl', ['bootout', `${launchdDomain()}/${LAUNCHD_LABEL}`]);
  }
  const existed = existsSync(paths.unitFile);
  rmSync(paths.unitFile, { force: true });
  if (platform === 'linux' && !options.noStart) run('systemctl', ['--user', 'daemon-reload']);
  out(existed ? `removed ${paths.unitFile} (${paths.envFile} is kept)\n` : `no service installed (${paths.unitFile} does not exist)\n`);
  return 0;
}

/** 0 when installed and running, 3 when installed but not running (as systemctl), 4 when not installed. */
export function serviceStatus(options: ServiceOptions): number {
  const { platform, out } = options;
  const run = options.run ?? runCommand;
  const paths = servicePaths(platform, options.env);
  if (!existsSync(paths.unitFile)) {
    out(`not installed (no ${paths.unitFile}); \`jessica service install\` makes Jessica always on\n`);
    return 4;
  }
  const result =
    platform === 'linux'
      ? run('systemctl', ['--user', 'is-active', SYSTEMD_UNIT])
      : run('launchctl', ['print', `${launchdDomain()}/${LAUNCHD_LABEL}`]);
  const running = result.status === 0 && (platform === 'darwin' || result.output.trim() === 'active');
  const state = platform === 'linux' ? result.output.split('\n')[0] || 'unknown' : running ? 'loaded' : 'not loaded';
  out(`installed: ${paths.unitFile}\nstate: ${state}\nenv file: ${paths.envFile}${existsSync(paths.envFile) ? '' : ' (missing)'}\n`);
  if (!running) {
    const logs = platform === 'linux' ? `journalctl --user -u ${SYSTEMD_UNIT}` : paths.logFile;
    out(`not running: see ${logs}, or reinstall with \`jessica service install\`\n`);
  }
  return running ? 0 : 3;
}
