import { describe, expect, it } from 'vitest';
import { isAbortError, linkedController, sleep } from '../../core/abort.js';
import { rejectionOf } from './support/fakes.js';

describe('isAbortError', () => {
  it('recognises aborts and timeouts by name only', () => {
    expect(isAbortError(new DOMException('x', 'AbortError'))).toBe(true);
    expect(isAbortError(new DOMException('x', 'TimeoutError'))).toBe(true);
    expect(isAbortError({ name: 'AbortError' })).toBe(true);
    for (const value of [new Error('AbortError'), null, undefined, 'AbortError', { name: 'Other' }]) expect(isAbortError(value)).toBe(false);
  });
});

describe('sleep', () => {
  it('resolves after the wait', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    await expect(sleep(1, new AbortController().signal)).resolves.toBeUndefined();
  });

  it('rejects with the signal’s reason when it aborts during the wait', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort(new Error('woken'));
    expect(await rejectionOf(pending)).toMatchObject({ message: 'woken' });
  });

  it('rejects at once when the signal is already aborted', async () => {
    expect(await rejectionOf(sleep(60_000, AbortSignal.abort(new Error('already'))))).toMatchObject({ message: 'already' });
  });
});

describe('linkedController', () => {
  it('aborts when any linked signal aborts, with that signal’s reason', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkedController(a.signal, undefined, b.signal);
    expect(linked.signal.aborted).toBe(false);
    b.abort('b went');
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('b went');
    a.abort('a went');
    expect(linked.signal.reason).toBe('b went');
  });

  it('starts aborted when a linked signal already is', () => {
    const linked = linkedController(undefined, AbortSignal.abort('earlier'));
    expect(linked.signal.reason).toBe('earlier');
  });

  it('can be aborted on its own without touching the linked signals', () => {
    const parent = new AbortController();
    const linked = linkedController(parent.signal);
    linked.abort();
    expect(parent.signal.aborted).toBe(false);
  });
});
