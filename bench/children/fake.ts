import { startFakeElevenLabs } from '../../test/fake-elevenlabs/index.js';
import { buildAudio, type AudioSpec } from '../lib/audio.js';
import { payloadOf, serve } from '../lib/serve.js';

/** The fake ElevenLabs in a process of its own (the upstream is another machine in production). */

interface Options {
  ttfbMs: number;
  chunkDelayMs: number;
  chunkSize: number;
  audio?: AudioSpec;
}

const options = payloadOf<Options>();
const fake = await startFakeElevenLabs({
  ttfbMs: options.ttfbMs,
  chunkDelayMs: options.chunkDelayMs,
  chunkSize: options.chunkSize,
  ...(options.audio ? { audio: buildAudio(options.audio) } : {}),
});

serve(
  {
    /** TTS requests so far (the cached-repeat benchmark expects no new ones). */
    stats: () => ({ ttsRequests: fake.ttsRequests().length, requests: fake.requests.length, maxConcurrentTts: fake.maxConcurrentTts }),
    /**
     * The TTS requests from index `from` on (path and text), so a benchmark that expects none
     * can say which endpoint was called for which text, not only how many.
     */
    ttsLog: ({ from }: { from: number }) =>
      fake
        .ttsRequests()
        .slice(from)
        .map((request) => ({ path: request.path, text: (request.body as { text?: unknown } | undefined)?.text, at: request.at })),
    configure: (patch: { ttfbMs?: number; chunkDelayMs?: number; chunkSize?: number; audio?: AudioSpec }) => {
      const { audio, ...rest } = patch;
      fake.configure({ ...rest, ...(audio ? { audio: buildAudio(audio) } : {}) });
      return true;
    },
    /** Drops the recorded requests and sent audio, which the fake keeps for tests. */
    forget: () => {
      fake.requests.length = 0;
      fake.sentAudio.length = 0;
      return true;
    },
  },
  { url: fake.url, apiKey: fake.apiKey },
);
