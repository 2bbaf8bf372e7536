import { startFakeElevenLabs } from '../fake-elevenlabs/index.js';
import { createHttpHandler } from '../../handlers/http.js';
import { restContract } from '../contract/rest-contract.js';
import { httpApiDriver, lambdaEnv, quietObservability, TOKEN } from './helpers.js';

restContract('the Lambda HTTP API handler (REST contract)', async () => {
  const fake = await startFakeElevenLabs();
  const handler = createHttpHandler({ env: lambdaEnv(fake), observability: quietObservability() });
  return { target: 'lambda', send: httpApiDriver(handler), fake, token: TOKEN, close: () => fake.close() };
});
