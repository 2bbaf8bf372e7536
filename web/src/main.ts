import { ApiClient, type SpeechRequest } from './api.js';
import { autoplayAllowed } from './autoplay.js';
import { loadConfig } from './config.js';
import { LiveConnection } from './connection.js';
import { DebugRecorder } from './debug.js';
import { LevelMeter } from './level.js';
import { Player } from './player.js';
import { Presence } from './presence.js';
import { LiveReceiver } from './receiver.js';
import { TokenStore } from './token.js';
import type { Model, Settings, Voice } from './types.js';
import { ComposeView } from './ui/compose.js';
import { byId } from './ui/dom.js';
import { HistoryView } from './ui/history.js';
import { NowSpeaking, type Names } from './ui/now-speaking.js';
import { SettingsPanel } from './ui/settings.js';
import { StatusView } from './ui/status.js';
import { TokenDialog } from './ui/token-dialog.js';
import { UsageView } from './ui/usage.js';
import { Utterance } from './utterance.js';

/** Composition root: builds every part once and wires their events together. */
async function main(): Promise<void> {
  const config = await loadConfig(location.href);
  document.title = config.title;
  byId('app-title').textContent = config.title;

  const tokens = new TokenStore();
  const audio = byId<HTMLAudioElement>('player');
  const debug = new DebugRecorder(audio);
  const level = new LevelMeter(audio);
  let settings: Settings | undefined;
  const voiceNames = new Map<string, string>();
  const modelNames = new Map<string, string>();
  const names: Names = {
    voice: (id) => voiceNames.get(id) ?? id,
    model: (id) => modelNames.get(id) ?? id,
  };
  let replays = 0;

  const api = new ApiClient(config, tokens, () => unauthorized());
  const status = new StatusView((state) => (state === 'locked' ? tokenDialog.ask(false) : connection.reconnectNow()));
  const usage = new UsageView();

  const player = new Player(audio, {
    changed: () => {
      nowSpeaking.render();
      const current = player.current;
      if (current) history.setStatus(current.info.id, 'playing');
      document.title = current ? `Speaking · ${config.title}` : config.title;
    },
    appended: (utterance, bytes) => {
      if (utterance.info.source !== 'replay') debug.appended(utterance.info.id, bytes);
    },
    finished: (utterance, outcome) => {
      const { id, source } = utterance.info;
      if (outcome === 'played' && source !== 'replay') {
        debug.played(id);
        if (source === 'live') connection.send({ type: 'played', id });
      }
      if (outcome === 'failed' && utterance.error) nowSpeaking.notice(`Skipped: ${utterance.error.message}`);
      if (source !== 'replay') history.setStatus(id, outcome);
      refreshUsageSoon();
    },
  });
  audio.addEventListener('playing', () => level.activate());
  audio.addEventListener('timeupdate', () => {
    const current = player.current;
    if (current && current.info.source !== 'replay') debug.position(current.info.id, audio.currentTime);
  });

  const nowSpeaking = new NowSpeaking(player, level, names, () => stop(), () => {
    player.unlock();
    level.activate();
  });
  const history = new HistoryView(names, (utterance) => {
    replays += 1;
    player.enqueue(Utterance.replayOf(utterance, `${utterance.info.id}#replay-${replays}`));
  });
  const compose = new ComposeView((request) => speak(request));
  const settingsPanel = new SettingsPanel(
    async (patch) => {
      const saved = await api.updateSettings(patch);
      applySettings(saved);
      return saved;
    },
    () => void refreshUsage(),
    (voiceId) => api.voiceSettings(voiceId),
  );
  const tokenDialog = new TokenDialog((token) => {
    tokens.set(token);
    presence.unlocked();
    connection.restart();
    void loadData();
  });

  const presence = new Presence(api, (state, detail) => {
    debug.state = state;
    status.show(state, detail);
    compose.setMode(state === 'live' ? 'live' : state === 'off-hours' ? 'rest' : state);
  });

  const receiver = new LiveReceiver({
    started: (utterance) => {
      const autoPlay = settings?.auto_play ?? true;
      history.add(utterance, autoPlay ? 'queued' : 'held');
      if (autoPlay) player.enqueue(utterance);
    },
    failed: (utterance) => {
      history.setStatus(utterance.info.id, 'failed');
      if (utterance.error) nowSpeaking.notice(`Could not speak: ${utterance.error.message}`);
    },
  });

  const connection = new LiveConnection(config.wsUrl, tokens, {
    message: (message) => {
      switch (message.type) {
        case 'hello':
          presence.live();
          applySettings(message.settings);
          if (!voiceNames.size || !modelNames.size) void loadData();
          return;
        case 'audio.start':
        case 'audio.words':
        case 'audio.end':
        case 'audio.error':
          receiver.handle(message);
          return;
        case 'stopped':
          stopLocally();
          return;
        case 'settings':
          applySettings(message.settings);
          return;
        case 'error':
          compose.report(message.message, 'error');
          return;
        case 'pong':
          return;
      }
    },
    audio: (bytes) => receiver.audio(bytes),
    closed: (info) => {
      receiver.disconnected();
      if (info.retryInMs === undefined) return;
      void presence.lost().then((state) => {
        // A refused upgrade looks like any other failure; an API call tells whether it was auth.
        if (state === 'off-hours' && !info.wasOpen) void refreshSettings();
      });
    },
    unauthorized: () => unauthorized(),
  });

  /** Any 401 or a 4401 close: drop a token that failed, stop retrying, ask for one. */
  function unauthorized(): void {
    const rejected = tokens.get() !== undefined;
    if (rejected) tokens.clear();
    connection.pause();
    presence.locked();
    tokenDialog.ask(rejected);
  }

  function applySettings(next: Settings): void {
    settings = next;
    settingsPanel.show(next);
    compose.setDefaults(next);
  }

  function setVoices(voices: Voice[]): void {
    voiceNames.clear();
    for (const voice of voices) voiceNames.set(voice.voice_id, voice.name);
    compose.setVoices(voices);
    settingsPanel.setVoices(voices);
  }

  function setModels(models: Model[]): void {
    modelNames.clear();
    for (const model of models) modelNames.set(model.model_id, model.name);
    compose.setModels(models);
    settingsPanel.setModels(models);
  }

  async function loadData(): Promise<void> {
    const [voices, models, current] = await Promise.allSettled([api.voices(), api.models(), api.settings(), refreshUsage()]);
    if (voices.status === 'fulfilled') setVoices(voices.value);
    if (models.status === 'fulfilled') setModels(models.value);
    if (current.status === 'fulfilled') applySettings(current.value);
    history.refreshNames();
  }

  async function refreshSettings(): Promise<void> {
    try {
      applySettings(await api.settings());
    } catch {
      // Reported through the 401 handler when it is about the token; otherwise keep what we have.
    }
  }

  async function refreshUsage(): Promise<void> {
    try {
      usage.show(await api.usage());
    } catch {
      // The meter keeps its last reading; usage is informative, never blocking.
    }
  }

  let usageTimer: ReturnType<typeof setTimeout> | undefined;
  function refreshUsageSoon(): void {
    clearTimeout(usageTimer);
    usageTimer = setTimeout(() => void refreshUsage(), 1_500);
  }

  async function speak(request: SpeechRequest): Promise<void> {
    if (connection.send({ type: 'speak', ...request })) {
      compose.report('Sent. It plays as it arrives.');
      return;
    }
    // Not live: REST makes the whole clip. Also tried in the moment between a dropped socket and
    // the health check that will call it off-hours; if nothing answers, the error says so.
    if (presence.state === 'locked') throw new Error('Enter the access token first.');
    const result = await api.tts(request);
    const utterance = Utterance.fromBytes(
      {
        id: result.utteranceId ?? `local-${Date.now()}`,
        text: request.text,
        voiceId: request.voice ?? settings?.default_voice_id ?? '',
        modelId: request.model ?? settings?.default_model_id ?? '',
        mime: result.audio.type || 'audio/mpeg',
        format: settings?.output_format,
        source: 'rest',
      },
      new Uint8Array(await result.audio.arrayBuffer()),
    );
    history.add(utterance, 'queued');
    player.enqueue(utterance);
    compose.report('Made over REST; playing now.');
  }

  function stop(): void {
    connection.send({ type: 'stop' });
    stopLocally();
  }

  function stopLocally(): void {
    receiver.stop();
    for (const utterance of player.stop()) history.setStatus(utterance.info.id, 'stopped');
  }

  nowSpeaking.render();
  status.show('connecting', 'Reaching the server…');
  if (config.requiresAuth && !tokens.get()) unauthorized();
  connection.start();
  if (presence.state !== 'locked') void loadData();
  // A slow or silent live channel should not leave the page saying "connecting" for long.
  setTimeout(() => {
    if (presence.state === 'connecting') void presence.lost();
  }, 3_000);
  if (!(await autoplayAllowed())) player.requireGesture();
}

void main();
