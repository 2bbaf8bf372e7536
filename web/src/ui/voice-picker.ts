import type { Voice } from '../types.js';
import { h } from './dom.js';

let pickers = 0;

/**
 * A searchable voice picker: an ARIA combobox over a listbox. Typing filters by name (and by
 * labels such as accent or gender); arrows move, Enter picks, Escape backs out.
 */
export class VoicePicker {
  readonly #input: HTMLInputElement;
  readonly #list: HTMLUListElement;
  readonly #prefix = `voice-option-${(pickers += 1)}`;
  readonly #onChange: (voiceId: string) => void;
  #voices: Voice[] = [];
  #shown: Voice[] = [];
  #active = -1;
  #value = '';

  constructor(input: HTMLInputElement, list: HTMLUListElement, onChange: (voiceId: string) => void = () => undefined) {
    this.#input = input;
    this.#list = list;
    this.#onChange = onChange;
    input.addEventListener('input', () => this.#open(input.value));
    input.addEventListener('focus', () => input.select());
    input.addEventListener('click', () => this.#open(''));
    input.addEventListener('keydown', (event) => this.#key(event));
    input.addEventListener('blur', () => this.#commitTyped());
    // Keep focus in the input while a pointer picks an option.
    list.addEventListener('mousedown', (event) => event.preventDefault());
    list.addEventListener('click', (event) => {
      const option = (event.target as Element).closest<HTMLElement>('[role="option"]');
      const voice = option ? this.#shown[Number(option.dataset.index)] : undefined;
      if (voice) this.#pick(voice);
    });
  }

  get value(): string {
    return this.#value;
  }

  setVoices(voices: Voice[]): void {
    this.#voices = [...voices].sort((a, b) => a.name.localeCompare(b.name));
    this.#input.placeholder = voices.length ? 'Search voices' : 'No voices';
    this.#showValue();
  }

  /** Sets the selection without reporting it as the user's choice. */
  set(voiceId: string): void {
    this.#value = voiceId;
    this.#showValue();
  }

  nameOf(voiceId: string): string {
    return this.#voices.find((voice) => voice.voice_id === voiceId)?.name ?? voiceId;
  }

  #open(query: string): void {
    const needle = query.trim().toLowerCase();
    this.#shown = needle
      ? this.#voices.filter((voice) => voice.name.toLowerCase().includes(needle) || Object.values(voice.labels ?? {}).some((label) => label.toLowerCase().includes(needle)))
      : this.#voices;
    this.#list.replaceChildren(
      ...(this.#shown.length
        ? this.#shown.map((voice, index) =>
            h(
              'li',
              { id: `${this.#prefix}-${index}`, role: 'option', 'data-index': String(index), 'aria-selected': String(voice.voice_id === this.#value) },
              h('span', { class: 'option-name' }, voice.name),
              h('span', { class: 'option-meta' }, describe(voice)),
            ),
          )
        : [h('li', { class: 'option-empty', role: 'presentation' }, 'No voice matches')]),
    );
    this.#list.hidden = false;
    this.#input.setAttribute('aria-expanded', 'true');
    const selected = this.#shown.findIndex((voice) => voice.voice_id === this.#value);
    this.#move(needle ? (this.#shown.length ? 0 : -1) : selected);
  }

  #close(): void {
    this.#list.hidden = true;
    this.#input.setAttribute('aria-expanded', 'false');
    this.#input.removeAttribute('aria-activedescendant');
    this.#active = -1;
  }

  #move(index: number): void {
    this.#list.querySelector('.active')?.classList.remove('active');
    this.#active = index;
    const option = index >= 0 ? document.getElementById(`${this.#prefix}-${index}`) : null;
    if (!option) {
      this.#input.removeAttribute('aria-activedescendant');
      return;
    }
    option.classList.add('active');
    option.scrollIntoView({ block: 'nearest' });
    this.#input.setAttribute('aria-activedescendant', option.id);
  }

  #key(event: KeyboardEvent): void {
    const open = !this.#list.hidden;
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp': {
        event.preventDefault();
        if (!open) return this.#open('');
        const step = event.key === 'ArrowDown' ? 1 : -1;
        const count = this.#shown.length;
        if (count) this.#move((this.#active + step + count) % count);
        return;
      }
      case 'Enter': {
        if (!open) return;
        event.preventDefault();
        const voice = this.#shown[this.#active];
        if (voice) this.#pick(voice);
        return;
      }
      case 'Escape':
        if (!open) return;
        event.preventDefault();
        event.stopPropagation();
        this.#close();
        this.#showValue();
        return;
      case 'Tab':
        this.#commitTyped();
        return;
      default:
        return;
    }
  }

  /** Leaving the field keeps an exactly typed name, and otherwise restores the last choice. */
  #commitTyped(): void {
    if (this.#list.hidden) return;
    const typed = this.#input.value.trim().toLowerCase();
    const match = this.#voices.find((voice) => voice.name.toLowerCase() === typed);
    this.#close();
    if (match && match.voice_id !== this.#value) this.#pick(match);
    else this.#showValue();
  }

  #pick(voice: Voice): void {
    this.#close();
    const changed = voice.voice_id !== this.#value;
    this.#value = voice.voice_id;
    this.#showValue();
    if (changed) this.#onChange(voice.voice_id);
  }

  #showValue(): void {
    this.#input.value = this.#value ? this.nameOf(this.#value) : '';
  }
}

function describe(voice: Voice): string {
  const labels = voice.labels ?? {};
  return [labels.gender, labels.accent, labels.descriptive ?? labels.use_case].filter(Boolean).join(' · ');
}
