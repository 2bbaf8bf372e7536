import type { SpeechRequest } from '../api.js';
import type { Model, Settings, Voice } from '../types.js';
import { byId, h } from './dom.js';
import { VoicePicker } from './voice-picker.js';

/** How typed text becomes speech right now, if at all. */
export type ComposeMode = 'live' | 'rest' | 'connecting' | 'offline' | 'locked';

const MAX_TEXT = 20_000;

const HINTS: Record<ComposeMode, string> = {
  live: 'Plays as it is made.',
  rest: 'Off-hours: the whole clip is made first, then plays.',
  connecting: 'Connecting…',
  offline: 'The server cannot be reached right now.',
  locked: 'Enter the access token first.',
};

/** The compose box: text, voice, model and a Speak button (Ctrl+Enter from the text). */
export class ComposeView {
  readonly #form = byId<HTMLFormElement>('compose');
  readonly #text = byId<HTMLTextAreaElement>('compose-text');
  readonly #model = byId<HTMLSelectElement>('compose-model');
  readonly #button = byId<HTMLButtonElement>('speak');
  readonly #status = byId('compose-status');
  readonly #count = byId('compose-count');
  readonly #voice: VoicePicker;
  readonly #onSpeak: (request: SpeechRequest) => Promise<void>;
  #mode: ComposeMode = 'connecting';
  #busy = false;
  /** Until the user picks, the pickers follow the default voice and model from settings. */
  #voiceTouched = false;
  #modelTouched = false;

  constructor(onSpeak: (request: SpeechRequest) => Promise<void>) {
    this.#onSpeak = onSpeak;
    this.#voice = new VoicePicker(byId('compose-voice'), byId('compose-voice-list'), () => (this.#voiceTouched = true));
    this.#model.addEventListener('change', () => (this.#modelTouched = true));
    this.#text.addEventListener('input', () => this.#update());
    this.#text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.#form.requestSubmit();
      }
    });
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#submit();
    });
    this.#update();
  }

  get voices(): VoicePicker {
    return this.#voice;
  }

  setVoices(voices: Voice[]): void {
    this.#voice.setVoices(voices);
  }

  setModels(models: Model[]): void {
    const selected = this.#model.value;
    this.#model.replaceChildren(...models.map((model) => h('option', { value: model.model_id }, model.name)));
    if (selected) this.#model.value = selected;
  }

  setDefaults(settings: Settings): void {
    if (!this.#voiceTouched) this.#voice.set(settings.default_voice_id);
    if (!this.#modelTouched) this.#model.value = settings.default_model_id;
  }

  setMode(mode: ComposeMode): void {
    this.#mode = mode;
    this.#update();
  }

  /** A result or a failure to report under the box. */
  report(message: string, tone: 'info' | 'error' = 'info'): void {
    this.#status.textContent = message;
    this.#status.dataset.tone = tone;
  }

  async #submit(): Promise<void> {
    const text = this.#text.value.trim();
    if (!text || this.#busy || !this.#canSpeak) return;
    this.#busy = true;
    this.#update();
    this.report(this.#mode === 'rest' ? 'Making the clip…' : 'Sent.');
    try {
      const request: SpeechRequest = { text };
      if (this.#voice.value) request.voice = this.#voice.value;
      if (this.#model.value) request.model = this.#model.value;
      await this.#onSpeak(request);
    } catch (error) {
      this.report(error instanceof Error ? error.message : 'That did not work.', 'error');
    } finally {
      this.#busy = false;
      this.#update();
    }
  }

  get #canSpeak(): boolean {
    return this.#mode === 'live' || this.#mode === 'rest';
  }

  #update(): void {
    const length = this.#text.value.length;
    this.#count.textContent = length > MAX_TEXT * 0.8 ? `${length.toLocaleString()} / ${MAX_TEXT.toLocaleString()}` : '';
    this.#button.disabled = this.#busy || !this.#canSpeak || this.#text.value.trim() === '';
    this.#button.setAttribute('aria-busy', String(this.#busy));
    this.#form.dataset.mode = this.#mode;
    byId('compose-hint').textContent = HINTS[this.#mode];
  }
}
