import { Catalog } from './catalog.js';
import type { Config, Target } from './config.js';
import { JessicaError } from './errors.js';
import { RateLimiter } from './http/rate-limit.js';
import { parseInput } from './input.js';
import type { LiveChannel, QueuedUtterance } from './live/hub.js';
import type { AudioCache, Logger, MetricsSink, SettingsStore, TtsProvider } from './ports.js';
import { applySettingsPatch, DEFAULT_SETTINGS, settingsPatchSchema } from './settings/schema.js';
import { SpeechService, type SpeechPlan } from './speech.js';
import type { Model, Settings, SpeechChunk, Usage, Voice, VoiceSettings } from './types.js';

/**
 * Resolves in the next turn of the event loop. The caller's answer can wait that long; the
 * upstream request an utterance just opened cannot: Node writes a request to its socket only
 * once the pending promise callbacks have run, and building an answer (MCP's most of all) is
 * all promise callbacks, so the answer would otherwise go first.
 */
function requestsOnTheWire(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface JessicaDeps {
  config: Config;
  version: string;
  provider: TtsProvider;
  settingsStore: SettingsStore;
  cache: AudioCache;
  logger: Logger;
  metrics: MetricsSink;
  /** The live path; absent on Lambda, where `/speak` answers 503 live_channel_unavailable. */
  live?: (speech: SpeechService) => LiveChannel;
}

export interface Health {
  status: 'ok' | 'degraded' | 'draining';
  version: string;
  target: Target;
  upstream: { configured: boolean };
}

export interface SynthesisResult {
  plan: SpeechPlan;
  audio: Uint8Array;
}

export interface StreamResult {
  plan: SpeechPlan;
  chunks: AsyncIterable<Uint8Array>;
}

export interface TimedStreamResult {
  plan: SpeechPlan;
  chunks: AsyncIterable<SpeechChunk>;
}

/** The use cases every adapter calls. Inputs are untrusted and validated here. */
export interface Jessica {
  readonly version: string;
  readonly target: Target;
  readonly speech: SpeechService;
  readonly live: LiveChannel | undefined;
  health(): Health;
  startDraining(): void;
  readonly draining: boolean;
  listVoices(search?: string): Promise<Voice[]>;
  listModels(): Promise<Model[]>;
  /** The settings stored with a voice (id or name): what it speaks with while the caller set none. */
  voiceSettings(voice: string): Promise<VoiceSettings>;
  usage(): Promise<Usage>;
  getSettings(principal: string): Promise<Settings>;
  updateSettings(principal: string, patch: unknown): Promise<Settings>;
  synthesize(principal: string, input: unknown, signal?: AbortSignal): Promise<SynthesisResult>;
  openStream(principal: string, input: unknown, signal?: AbortSignal): Promise<StreamResult>;
  /** Like `openStream`, each chunk with the words completed with it (whatever the `word_timings` setting). */
  openTimedStream(principal: string, input: unknown, signal?: AbortSignal): Promise<TimedStreamResult>;
  speak(principal: string, input: unknown, options?: { listenerId?: string }): Promise<QueuedUtterance>;
  stop(principal: string): Promise<{ stopped: number }>;
}

/**
 * Builds the core once at start-up (or cold start). Nothing here touches the network until a
 * use case is called.
 *
 * @example
 * const jessica = createJessica({ config, version, provider, settingsStore, cache, logger, metrics });
 * const { audio } = await jessica.synthesize('local', { text: 'Hello!' });
 */
export function createJessica(deps: JessicaDeps): Jessica {
  const { config, provider, settingsStore, cache, logger, metrics } = deps;
  const catalog = new Catalog(provider, config.catalogTtlMs);
  const getSettings = async (principal: string): Promise<Settings> =>
    // The defaults hold no nested object (voice_settings is null): a shallow copy is a whole one.
    (await settingsStore.get(principal)) ?? { ...DEFAULT_SETTINGS };
  const speech = new SpeechService({
    provider,
    catalog,
    cache,
    settingsFor: getSettings,
    maxTextLength: config.maxTextLength,
    logger,
    metrics,
  });
  const live = deps.live?.(speech);
  let draining = false;
  // The budget of what costs the user money: upstream synthesis, by requests and by characters.
  // A repeat the cache answers spends nothing and is not charged.
  const spendingRequests = new RateLimiter(config.rateLimitPerMinute, Date.now, { message: 'Too many synthesis requests; slow down.' });
  const spendingCharacters = new RateLimiter(config.characterLimitPerMinute, Date.now, {
    burst: Math.max(config.characterLimitPerMinute, config.maxTextLength),
    message: 'Too many characters synthesised in the last minute; slow down.',
  });
  /** Charges the plan unless the cache answers it; returns what gives the charge back. */
  const charge = (principal: string, plan: SpeechPlan, words: boolean): (() => void) => {
    if (speech.isCached(plan, { words })) return () => undefined;
    spendingRequests.take(principal);
    try {
      spendingCharacters.take(principal, plan.characters);
    } catch (error) {
      spendingRequests.give(principal);
      throw error;
    }
    return () => {
      spendingRequests.give(principal);
      spendingCharacters.give(principal, plan.characters);
    };
  };

  const refuseWhileDraining = () => {
    if (draining) throw new JessicaError('draining', 'This server is shutting down; retry on another.', { retryAfterSeconds: 5 });
  };

  return {
    version: deps.version,
    target: config.target,
    speech,
    live,
    get draining() {
      return draining;
    },
    startDraining() {
      draining = true;
    },
    health() {
      const configured = config.elevenLabsApiKey !== undefined;
      const liveHealthy = live?.healthy?.() ?? true;
      return {
        status: draining ? 'draining' : configured && liveHealthy ? 'ok' : 'degraded',
        version: deps.version,
        target: config.target,
        upstream: { configured },
      };
    },
    listVoices: (search) => catalog.voices(search),
    listModels: () => catalog.models(),
    async voiceSettings(voiceRef) {
      const voice = await catalog.resolveVoice(voiceRef);
      return provider.getVoiceSettings(voice.voice_id);
    },
    usage: () => provider.getUsage(),
    getSettings,
    async updateSettings(principal, rawPatch) {
      const patch = parseInput(settingsPatchSchema, rawPatch, 'settings');
      // Check against the upstream lists before storing, so a typo never becomes a default.
      const [voice, model] = await Promise.all([
        patch.default_voice_id === undefined ? undefined : catalog.resolveVoice(patch.default_voice_id),
        patch.default_model_id === undefined ? undefined : catalog.resolveModel(patch.default_model_id),
      ]);
      const normalised = {
        ...patch,
        ...(voice ? { default_voice_id: voice.voice_id } : {}),
        ...(model ? { default_model_id: model.model_id } : {}),
      };
      const settings = await settingsStore.update(principal, (current) =>
        applySettingsPatch(current ?? (DEFAULT_SETTINGS as Settings), normalised),
      );
      live?.publishSettings(principal, settings);
      return settings;
    },
    async synthesize(principal, input, signal) {
      refuseWhileDraining();
      const plan = await speech.plan(principal, input);
      charge(principal, plan, false);
      return { plan, audio: await speech.collect(plan, signal) };
    },
    async openStream(principal, input, signal) {
      refuseWhileDraining();
      const plan = await speech.plan(principal, input);
      charge(principal, plan, false);
      return { plan, chunks: await speech.open(plan, signal) };
    },
    async openTimedStream(principal, input, signal) {
      refuseWhileDraining();
      const plan = await speech.plan(principal, input);
      charge(principal, { ...plan, wordTimings: true }, true);
      return { plan, chunks: await speech.openTimed(plan, signal) };
    },
    async speak(principal, input, options) {
      refuseWhileDraining();
      if (!live) {
        throw new JessicaError('live_channel_unavailable', 'Live playback runs only during active hours; use POST /tts meanwhile.');
      }
      const plan = await speech.plan(principal, input);
      const refund = charge(principal, plan, true);
      let queued: QueuedUtterance;
      try {
        queued = await live.speak(principal, plan, options);
      } catch (error) {
        // Not queued (no_listeners, say): nothing will be spent.
        refund();
        throw error;
      }
      await requestsOnTheWire();
      return queued;
    },
    async stop(principal) {
      if (!live) {
        throw new JessicaError('live_channel_unavailable', 'Live playback runs only during active hours; nothing is playing.');
      }
      return { stopped: await live.stop(principal) };
    },
  };
}
