import { restContract } from '../contract/rest-contract.js';
import { startStack } from '../support/stack.js';

const TOKEN = 'contract-token-6b1d93';

restContract('the live server (REST contract)', async () => {
  const stack = await startStack({ JESSICA_TOKENS: `contract:${TOKEN}`, ROOT_PATH: '/jessica', JESSICA_RATE_LIMIT: '100000' });
  return {
    target: 'fargate',
    fake: stack.fake,
    token: TOKEN,
    async send(method, path, init = {}) {
      const response = await fetch(stack.url(path), { method, headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : Buffer.from(init.body) }) });
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => (headers[name] = value));
      return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
    },
    close: () => stack.close(),
  };
});
