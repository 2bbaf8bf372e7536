import { ConfigError } from '../core/index.js';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { startServer, type StartOptions } from './server.js';
import { withUserEnv } from './user-env.js';

/**
 * Process entry of the live server (`npm start`, the container's PID 1). SIGTERM — ECS
 * scale-in or a deploy — drains: speech in flight finishes, then the process exits 0.
 */
export async function main(env: NodeJS.ProcessEnv = withUserEnv(process.env)): Promise<void> {
  let server;
  try {
    server = await startServer({ env, ...(await awsAdapters(env)) });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`jessica: configuration error: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
  const running = server;
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    void running.shutdown().then(
      () => process.exit(0),
      () => process.exit(1),
    );
    console.error(`jessica: ${signal} received, draining`);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** AWS adapters are loaded only when the configuration asks for them. */
async function awsAdapters(env: NodeJS.ProcessEnv): Promise<Pick<StartOptions, 'readSecret' | 'remoteSettingsStore'>> {
  const needsAws = Boolean(env['ELEVENLABS_API_KEY_PARAM']) || (env['JESSICA_SETTINGS'] ?? '').startsWith('dynamodb:');
  if (!needsAws) return {};
  const aws = await import('../handlers/aws/index.js');
  return { readSecret: aws.readSecretParameter, remoteSettingsStore: aws.dynamoSettingsStore };
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  void main();
}
