import type { ServerMessage } from './protocol.js';
import { Utterance } from './utterance.js';

export interface ReceiverEvents {
  /** A new utterance started arriving. */
  started(utterance: Utterance): void;
  /** The server reported that synthesis failed. */
  failed(utterance: Utterance): void;
}

type AudioMessage = Extract<ServerMessage, { type: 'audio.start' | 'audio.words' | 'audio.end' | 'audio.error' }>;

/**
 * Turns the live channel's frames into utterances. The server sends one utterance at a time,
 * so every binary frame belongs to the latest `audio.start`.
 */
export class LiveReceiver {
  readonly #events: ReceiverEvents;
  readonly #recent = new Map<string, Utterance>();
  #receiving: Utterance | undefined;

  constructor(events: ReceiverEvents) {
    this.#events = events;
  }

  handle(message: AudioMessage): void {
    switch (message.type) {
      case 'audio.start': {
        this.#receiving?.fail('interrupted', 'The next utterance began before this one ended.');
        const utterance = new Utterance({
          id: message.id,
          text: message.text,
          voiceId: message.voice_id,
          modelId: message.model_id,
          mime: message.mime || 'audio/mpeg',
          format: message.format,
          source: 'live',
        });
        this.#receiving = utterance;
        this.#remember(utterance);
        this.#events.started(utterance);
        return;
      }
      case 'audio.words':
        this.#recent.get(message.id)?.addWords(message.words);
        return;
      case 'audio.end':
        this.#settle(message.id)?.end();
        return;
      case 'audio.error': {
        const utterance = this.#settle(message.id);
        if (!utterance) return;
        utterance.fail(message.code, message.message);
        this.#events.failed(utterance);
        return;
      }
    }
  }

  audio(bytes: ArrayBuffer): void {
    // Frames after a local stop belong to the stopped utterance; the push is then a no-op.
    this.#receiving?.push(new Uint8Array(bytes));
  }

  /** Stop pressed here or anywhere else: whatever was arriving will not complete. */
  stop(): void {
    this.#receiving?.stop();
    this.#receiving = undefined;
  }

  /** The socket closed mid-utterance; the rest of its audio is not coming. */
  disconnected(): void {
    const utterance = this.#receiving;
    this.#receiving = undefined;
    if (!utterance || utterance.settled) return;
    utterance.fail('connection_lost', 'The connection dropped before this utterance finished arriving.');
    this.#events.failed(utterance);
  }

  #settle(id: string): Utterance | undefined {
    if (this.#receiving?.info.id === id) this.#receiving = undefined;
    return this.#recent.get(id);
  }

  #remember(utterance: Utterance): void {
    this.#recent.set(utterance.info.id, utterance);
    // Only the last few matter: an end or error always follows its start closely.
    if (this.#recent.size > 20) this.#recent.delete(this.#recent.keys().next().value ?? '');
  }
}
