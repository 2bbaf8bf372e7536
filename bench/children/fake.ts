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
