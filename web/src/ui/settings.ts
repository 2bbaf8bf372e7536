import type { Model, Settings, SettingsPatch, Voice, VoiceSettings } from '../types.js';
import { byId, h } from './dom.js';
import { VoicePicker } from './voice-picker.js';

type Slider = 'stability' | 'similarity_boost' | 'style' | 'speed';
const SLIDERS: Slider[] = ['stability', 'similarity_boost', 'style', 'speed'];

/**
 * The settings panel: defaults, voice settings with the upstream's ranges, auto-play and
 * usage. Saving sends only what changed, so two pages editing different fields do not undo
 * each other.
 */
export class SettingsPanel {
  readonly #dialog = byId<HTMLDialogElement>('settings-dialog');
  readonly #form = byId<HTMLFormElement>('settings-form');
  readonly #model = byId<HTMLSelectElement>('settings-model');
  readonly #boost = byId<HTMLInputElement>('vs-use_speaker_boost');
  readonly #autoPlay = byId<HTMLInputElement>('settings-auto_play');
  readonly #status = byId('settings-status');
  readonly #save = byId<HTMLButtonElement>('settings-save');
  readonly #voice: VoicePicker;
  readonly #onSave: (patch: SettingsPatch) => Promise<Settings>;
  #saved: Settings | undefined;

  constructor(onSave: (patch: SettingsPatch) => Promise<Settings>, onOpen: () => void) {
    this.#onSave = onSave;
    this.#voice = new VoicePicker(byId('settings-voice'), byId('settings-voice-list'), () => this.#changed());
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
      void this.#submit();
    });
    byId('open-settings').addEventListener('click', () => {
      onOpen();
      this.#dialog.showModal();
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
  }

  #fill(settings: Settings): void {
    this.#voice.set(settings.default_voice_id);
    this.#model.value = settings.default_model_id;
    for (const name of SLIDERS) {
      this.#slider(name).value = String(settings.voice_settings[name]);
      this.#showValue(name);
    }
    this.#boost.checked = settings.voice_settings.use_speaker_boost;
    this.#autoPlay.checked = settings.auto_play;
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
      if (Math.abs(value - saved.voice_settings[name]) > 1e-6) voiceSettings[name] = value;
    }
    if (this.#boost.checked !== saved.voice_settings.use_speaker_boost) voiceSettings.use_speaker_boost = this.#boost.checked;
    if (Object.keys(voiceSettings).length) patch.voice_settings = voiceSettings;
    if (this.#autoPlay.checked !== saved.auto_play) patch.auto_play = this.#autoPlay.checked;
    return patch;
  }

  async #submit(): Promise<void> {
    const patch = this.#patch();
    if (!Object.keys(patch).length) return;
    this.#save.disabled = true;
    this.#report('Saving…', 'info');
    try {
      const settings = await this.#onSave(patch);
      this.#saved = settings;
      this.#fill(settings);
      this.#report('Saved.', 'ok');
    } catch (error) {
      this.#report(error instanceof Error ? error.message : 'Saving failed.', 'error');
      this.#changed();
    }
  }

  #changed(): void {
    const dirty = Object.keys(this.#patch()).length > 0;
    this.#save.disabled = !dirty;
    if (dirty && this.#status.dataset.tone === 'ok') this.#report('', 'info');
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
