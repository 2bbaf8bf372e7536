import type { Model, Settings, SettingsPatch, Voice, VoiceSettings } from '../types.js';
import { byId, h } from './dom.js';
import { VoicePicker } from './voice-picker.js';

type Slider = 'stability' | 'similarity_boost' | 'style' | 'speed';
type Field = Slider | 'use_speaker_boost';
const SLIDERS: Slider[] = ['stability', 'similarity_boost', 'style', 'speed'];
const FIELDS: Field[] = [...SLIDERS, 'use_speaker_boost'];
const LABELS: Record<Field, string> = {
  stability: 'stability',
  similarity_boost: 'similarity',
  style: 'style',
  speed: 'speed',
  use_speaker_boost: 'speaker boost',
};
/** ElevenLabs' documented defaults: shown only until (or if never) the voice's own arrive. */
const UPSTREAM_DEFAULTS: VoiceSettings = { stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1 };

/**
 * The settings panel: defaults, voice settings with the upstream's ranges, auto-play and
 * usage. Saving sends only what changed, so two pages editing different fields do not undo
 * each other. Voice settings the user never set show the voice's own (as stored at
 * ElevenLabs, which applies them while Jessica sends none); the ones the user set are marked,
 * and one button hands every one of them back to the voice.
 */
export class SettingsPanel {
  readonly #dialog = byId<HTMLDialogElement>('settings-dialog');
  readonly #form = byId<HTMLFormElement>('settings-form');
  readonly #model = byId<HTMLSelectElement>('settings-model');
  readonly #boost = byId<HTMLInputElement>('vs-use_speaker_boost');
  readonly #autoPlay = byId<HTMLInputElement>('settings-auto_play');
  readonly #status = byId('settings-status');
  readonly #save = byId<HTMLButtonElement>('settings-save');
  readonly #source = byId('vs-source');
  readonly #reset = byId<HTMLButtonElement>('vs-reset');
  readonly #voice: VoicePicker;
  readonly #onSave: (patch: SettingsPatch) => Promise<Settings>;
  readonly #loadOwn: (voiceId: string) => Promise<VoiceSettings>;
  #saved: Settings | undefined;
  /** The voice's own settings, for the voice they belong to (`settings` undefined: they could not be loaded). */
  #own: { voiceId: string; settings: VoiceSettings | undefined } | undefined;
  /** The voice whose own settings are being fetched. */
  #loading: string | undefined;

  constructor(onSave: (patch: SettingsPatch) => Promise<Settings>, onOpen: () => void, loadVoiceSettings: (voiceId: string) => Promise<VoiceSettings>) {
    this.#onSave = onSave;
    this.#loadOwn = loadVoiceSettings;
    this.#voice = new VoicePicker(byId('settings-voice'), byId('settings-voice-list'), () => {
      this.#changed();
      void this.#loadOwnSettings();
    });
    for (const name of SLIDERS) {
      const input = this.#slider(name);
      input.addEventListener('input', () => {
        this.#showValue(name);
        this.#changed();
      });
    }
    this.#form.addEventListener('change', () => this.#changed());
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#submit(this.#patch());
    });
    this.#reset.addEventListener('click', () => {
      const { voice_settings: _edited, ...rest } = this.#patch();
      void this.#submit({ ...rest, voice_settings: null });
    });
    byId('open-settings').addEventListener('click', () => {
      onOpen();
      this.#dialog.showModal();
      // Asked for only when someone looks: an idle page costs the upstream nothing.
      void this.#loadOwnSettings();
    });
    byId('settings-close').addEventListener('click', () => this.#dialog.close());
    // A click on the backdrop (outside the sheet) closes it, as people expect of a side panel.
    this.#dialog.addEventListener('click', (event) => {
      if (event.target === this.#dialog) this.#dialog.close();
    });
    this.#dialog.addEventListener('close', () => {
      if (this.#saved) this.#fill(this.#saved);
      this.#status.textContent = '';
    });
  }

  setVoices(voices: Voice[]): void {
    this.#voice.setVoices(voices);
  }

  setModels(models: Model[]): void {
    this.#model.replaceChildren(...models.map((model) => h('option', { value: model.model_id }, model.name)));
    if (this.#saved) this.#model.value = this.#saved.default_model_id;
  }

  /** Settings from the server; unsaved edits in an open panel are left alone. */
  show(settings: Settings): void {
    const editing = this.#dialog.open && Object.keys(this.#patch()).length > 0;
    this.#saved = settings;
    if (!editing) this.#fill(settings);
    if (this.#dialog.open) void this.#loadOwnSettings();
  }

  /** What a voice setting is before any edit: the user's, else the voice's own. */
  #baseline<K extends Field>(name: K): VoiceSettings[K] {
    return this.#saved?.voice_settings?.[name] ?? this.#own?.settings?.[name] ?? UPSTREAM_DEFAULTS[name];
  }

  #isSet(name: Field): boolean {
    return this.#saved?.voice_settings?.[name] !== undefined;
  }

  #fill(settings: Settings): void {
    this.#voice.set(settings.default_voice_id);
    this.#model.value = settings.default_model_id;
    for (const name of SLIDERS) {
      this.#slider(name).value = String(this.#baseline(name));
      this.#showValue(name);
    }
    this.#boost.checked = this.#baseline('use_speaker_boost');
    this.#autoPlay.checked = settings.auto_play;
    this.#changed();
  }

  /** Fetches the voice's own settings for the voice in the picker, and shows them where the user set none. */
  async #loadOwnSettings(): Promise<void> {
    const voiceId = this.#voice.value || this.#saved?.default_voice_id;
    if (!voiceId || this.#loading === voiceId || (this.#own?.voiceId === voiceId && this.#own.settings)) return;
    this.#loading = voiceId;
    this.#describe();
    let settings: VoiceSettings | undefined;
    try {
      settings = await this.#loadOwn(voiceId);
    } catch {
      settings = undefined;
    }
    // Another voice was picked meanwhile: its own answer wins.
    if (this.#loading !== voiceId) return;
    this.#loading = undefined;
    const before = Object.fromEntries(FIELDS.map((name) => [name, this.#baseline(name)])) as unknown as VoiceSettings;
    this.#own = { voiceId, settings };
    // Untouched controls follow the voice; moved ones keep what the user chose.
    for (const name of SLIDERS) {
      const input = this.#slider(name);
      if (Math.abs(Number(input.value) - before[name]) <= 1e-6) input.value = String(this.#baseline(name));
      this.#showValue(name);
    }
    if (this.#boost.checked === before.use_speaker_boost) this.#boost.checked = this.#baseline('use_speaker_boost');
    this.#changed();
  }

  /** The fields that differ from what the server last confirmed. */
  #patch(): SettingsPatch {
    const saved = this.#saved;
    if (!saved) return {};
    const patch: SettingsPatch = {};
    if (this.#voice.value && this.#voice.value !== saved.default_voice_id) patch.default_voice_id = this.#voice.value;
    if (this.#model.value && this.#model.value !== saved.default_model_id) patch.default_model_id = this.#model.value;
    const voiceSettings: Partial<VoiceSettings> = {};
    for (const name of SLIDERS) {
      const value = Number(this.#slider(name).value);
      if (Math.abs(value - this.#baseline(name)) > 1e-6) voiceSettings[name] = value;
    }
    if (this.#boost.checked !== this.#baseline('use_speaker_boost')) voiceSettings.use_speaker_boost = this.#boost.checked;
    if (Object.keys(voiceSettings).length) patch.voice_settings = voiceSettings;
    if (this.#autoPlay.checked !== saved.auto_play) patch.auto_play = this.#autoPlay.checked;
    return patch;
  }

  async #submit(patch: SettingsPatch): Promise<void> {
    if (!Object.keys(patch).length) return;
    this.#save.disabled = true;
    this.#reset.disabled = true;
    this.#report('Saving…', 'info');
    try {
      const settings = await this.#onSave(patch);
      this.#saved = settings;
      this.#fill(settings);
      this.#report(patch.voice_settings === null ? "Saved: the voice's own settings apply." : 'Saved.', 'ok');
    } catch (error) {
      this.#report(error instanceof Error ? error.message : 'Saving failed.', 'error');
      this.#changed();
    }
  }

  #changed(): void {
    const patch = this.#patch();
    const dirty = Object.keys(patch).length > 0;
    this.#save.disabled = !dirty;
    if (dirty && this.#status.dataset.tone === 'ok') this.#report('', 'info');
    for (const name of FIELDS) byId(`vs-${name}-mark`).hidden = !this.#isSet(name) && patch.voice_settings?.[name] === undefined;
    this.#describe();
  }

  /** Says whose voice settings the controls show, and offers the voice's own back when the user set some. */
  #describe(): void {
    const edited = this.#patch().voice_settings ?? {};
    const changed = FIELDS.filter((name) => this.#isSet(name) || edited[name] !== undefined);
    this.#reset.hidden = changed.length === 0;
    this.#reset.disabled = false;
    if (changed.length > 0) {
      this.#source.textContent = `You changed ${changed.map((name) => LABELS[name]).join(', ')}; the rest is the voice's own.`;
    } else if (this.#loading) {
      this.#source.textContent = "The voice's own settings apply (loading them…).";
    } else if (this.#own && !this.#own.settings) {
      this.#source.textContent = "The voice's own settings apply; they could not be loaded, so ElevenLabs' defaults are shown.";
    } else {
      this.#source.textContent = "The voice's own settings apply.";
    }
  }

  #report(message: string, tone: 'info' | 'ok' | 'error'): void {
    this.#status.textContent = message;
    this.#status.dataset.tone = tone;
  }

  #slider(name: Slider): HTMLInputElement {
    return byId<HTMLInputElement>(`vs-${name}`);
  }

  #showValue(name: Slider): void {
    const value = Number(this.#slider(name).value);
    byId(`vs-${name}-value`).textContent = name === 'speed' ? `${value.toFixed(2)}×` : value.toFixed(2);
  }
}
