import type { Utterance } from '../utterance.js';
import { byId, h, icon } from './dom.js';
import { downloadName, excerpt, formatClock } from './format.js';
import type { Names } from './now-speaking.js';

export type EntryStatus = 'receiving' | 'queued' | 'playing' | 'played' | 'held' | 'failed' | 'stopped';

const BADGES: Partial<Record<EntryStatus, string>> = {
  receiving: 'arriving',
  queued: 'waiting',
  playing: 'speaking',
  held: 'not played',
  failed: 'failed',
  stopped: 'stopped',
};

/** Sessions left open all day must not keep every byte forever. */
const MAX_ENTRIES = 100;

interface Entry {
  utterance: Utterance;
  status: EntryStatus;
  item: HTMLLIElement;
  url: string | undefined;
}

/** The session's utterances, newest first, each with replay and download. */
export class HistoryView {
  readonly #list = byId<HTMLOListElement>('history-list');
  readonly #empty = byId('history-empty');
  readonly #names: Names;
  readonly #onReplay: (utterance: Utterance) => void;
  readonly #entries = new Map<string, Entry>();

  constructor(names: Names, onReplay: (utterance: Utterance) => void) {
    this.#names = names;
    this.#onReplay = onReplay;
  }

  add(utterance: Utterance, status: EntryStatus): void {
    if (this.#entries.has(utterance.info.id)) return;
    const entry: Entry = { utterance, status, item: h('li', { class: 'entry' }), url: undefined };
    this.#entries.set(utterance.info.id, entry);
    this.#list.prepend(entry.item);
    this.#render(entry);
    this.#empty.hidden = true;
    void this.#renderWhenSettled(entry);
    if (this.#entries.size > MAX_ENTRIES) {
      const [oldestId, oldest] = this.#entries.entries().next().value ?? [];
      if (oldestId !== undefined && oldest) {
        if (oldest.url) URL.revokeObjectURL(oldest.url);
        oldest.item.remove();
        this.#entries.delete(oldestId);
      }
    }
  }

  get(id: string): Utterance | undefined {
    return this.#entries.get(id)?.utterance;
  }

  setStatus(id: string, status: EntryStatus): void {
    const entry = this.#entries.get(id);
    if (!entry || entry.status === status) return;
    entry.status = status;
    this.#render(entry);
  }

  /** Voice and model names may arrive after the first utterances. */
  refreshNames(): void {
    for (const entry of this.#entries.values()) this.#render(entry);
  }

  /** Replay and download appear once the last byte is in. */
  async #renderWhenSettled(entry: Entry): Promise<void> {
    while (!entry.utterance.settled) await entry.utterance.changed();
    if (this.#entries.get(entry.utterance.info.id) === entry) this.#render(entry);
  }

  #render(entry: Entry): void {
    const { utterance, status, item } = entry;
    const { text, voiceId, modelId } = utterance.info;
    item.dataset.status = status;
    const badge = BADGES[status];
    const error = status === 'failed' && utterance.error ? utterance.error.message : undefined;
    const meta = h(
      'p',
      { class: 'entry-meta' },
      h('time', { datetime: utterance.createdAt.toISOString() }, formatClock(utterance.createdAt)),
      ` · ${this.#names.voice(voiceId)}`,
      modelId ? ` · ${this.#names.model(modelId)}` : '',
    );
    if (badge) meta.append(' ', h('span', { class: `badge badge-${status}` }, badge));
    const label = excerpt(text);
    const actions = h('div', { class: 'entry-actions' });
    if (utterance.settled && utterance.bytes > 0) {
      const replay = h('button', { type: 'button', class: 'icon-button', 'aria-label': `Replay “${label}”`, title: 'Replay' }, icon('replay'));
      replay.addEventListener('click', () => this.#onReplay(utterance));
      entry.url ??= URL.createObjectURL(utterance.blob());
      const download = h(
        'a',
        { class: 'icon-button', href: entry.url, download: downloadName(utterance.createdAt, utterance.info.mime), 'aria-label': `Download “${label}”`, title: 'Download' },
        icon('download'),
      );
      actions.append(replay, download);
    }
    item.replaceChildren(
      h('div', { class: 'entry-body' }, h('p', { class: 'entry-text' }, text), meta, error ? h('p', { class: 'entry-error' }, error) : ''),
      actions,
    );
  }
}
