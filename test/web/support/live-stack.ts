import { startServer, type RunningServer } from '../../../fargate/server.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../../fake-elevenlabs/index.js';

/** The live server in front of the fake ElevenLabs, as `npm start` runs it, on a free port. */
export interface LiveStack {
  fake: FakeElevenLabs;
  server: RunningServer;
  /** The page's address. */
  pageUrl(): string;
  /** Ids the server was told have finished playing (`played` frames), in arrival order. */
  played: string[];
  /** How many times the server was asked to stop (a `stop` frame or POST /stop). */
  stops(): number;
  /** How many pages listen for `principal` (`local` without tokens), as the hub counts them. */
  listeners(principal?: string): Promise<number>;
  /** POST /speak, with the stack's token when it has one; resolves with the utterance id. */
  speak(text: string): Promise<string>;
  /** Closes the server and starts a new one on the same port, as a redeploy would. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface LiveStackOptions {
  /** Extra server environment, e.g. `JESSICA_TOKENS`. */
  env?: Record<string, string>;
  /** The token the stack's own API calls send. */
  token?: string;
}

export async function startLiveStack(options: LiveStackOptions = {}): Promise<LiveStack> {
  const fake = await startFakeElevenLabs();
  const played: string[] = [];
  let stops = 0;
  const start = async (port: number): Promise<RunningServer> => {
    const server = await startServer({
      env: { ELEVENLABS_BASE_URL: fake.url, ELEVENLABS_API_KEY: fake.apiKey, PORT: String(port), JESSICA_SETTINGS: 'memory:', LOG_LEVEL: 'silent', ...options.env },
    });
    // Observes the page's `played` acknowledgements without changing what the hub does with them.
    const hub = server.hub;
    const acknowledge = hub.played.bind(hub);
    hub.played = (id: string, principal?: string) => {
      played.push(id);
      acknowledge(id, principal);
    };
    const stop = hub.stop.bind(hub);
    hub.stop = (principal: string) => {
      stops += 1;
      return stop(principal);
    };
    return server;
  };
  const stack: LiveStack = {
    fake,
    server: await start(0),
    played,
    stops: () => stops,
    pageUrl: () => `${stack.server.url}${stack.server.rootPath}/`,
    listeners: (principal = 'local') => stack.server.hub.listenerCount(principal),
    async speak(text) {
      const response = await fetch(`${stack.server.url}${stack.server.rootPath}/api/v1/speak`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}) },
        body: JSON.stringify({ text }),
      });
      const body = (await response.json()) as { utterance_id?: string };
      if (response.status !== 202 || !body.utterance_id) throw new Error(`POST /speak answered ${response.status}: ${JSON.stringify(body)}`);
      return body.utterance_id;
    },
    async restart() {
      const port = stack.server.port;
      await stack.server.close();
      stack.server = await start(port);
    },
    async close() {
      await stack.server.close();
      await fake.close();
    },
  };
  return stack;
}
