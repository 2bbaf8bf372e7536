import { describe, expect, it } from 'vitest';
import { audioCacheKey, LruAudioCache } from '../../../core/cache/lru.js';

const bytes = (size: number, fill = 1) => new Uint8Array(size).fill(fill);

describe('LruAudioCache', () => {
  it('returns what was stored, chunk for chunk', () => {
    const cache = new LruAudioCache(800);
    const chunks = [bytes(10, 1), bytes(20, 2)];
    cache.set('a', { chunks });
    expect(cache.get('a')).toEqual({ chunks });
    expect(cache.get('missing')).toBeUndefined();
    expect(cache.bytes).toBe(30);
    expect(cache.size).toBe(1);
  });

  it('evicts the least recently used entries once the byte cap is passed', () => {
    const cache = new LruAudioCache(800);
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) cache.set(key, { chunks: [bytes(100)] });
    expect(cache.bytes).toBe(800);
    cache.get('a'); // a is now the most recent; b is the oldest
    cache.set('i', { chunks: [bytes(100)] });
    expect(cache.bytes).toBe(800);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    cache.set('j', { chunks: [bytes(60), bytes(40)] }); // c is now the oldest
    expect(cache.bytes).toBe(800);
    const kept = ['a', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].filter((key) => cache.get(key) !== undefined);
    expect(kept).toEqual(['a', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    cache.set('k', { chunks: [bytes(50)] }); // pushes a out
    cache.set('l', { chunks: [bytes(50)] }); // fits in what a left
    cache.set('m', { chunks: [bytes(100)] }); // pushes d out
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('d')).toBeUndefined();
    expect(cache.get('e')).toBeDefined();
    expect(cache.bytes).toBe(800);
  });

  it('never keeps an entry larger than an eighth of the cap, nor an empty one', () => {
    const cache = new LruAudioCache(800);
    cache.set('big', { chunks: [bytes(60), bytes(41)] });
    cache.set('empty', { chunks: [] });
    expect(cache.get('big')).toBeUndefined();
    expect(cache.get('empty')).toBeUndefined();
    expect(cache.bytes).toBe(0);
    cache.set('fits', { chunks: [bytes(100)] });
    expect(cache.get('fits')).toBeDefined();
  });

  it('replaces an entry under the same key without counting it twice', () => {
    const cache = new LruAudioCache(800);
    cache.set('a', { chunks: [bytes(50)] });
    cache.set('a', { chunks: [bytes(70)] });
    expect(cache.bytes).toBe(70);
    expect(cache.size).toBe(1);
    expect(cache.get('a')?.chunks[0]?.byteLength).toBe(70);
  });

  it('keeps nothing with a cap of zero', () => {
    const cache = new LruAudioCache(0);
    cache.set('a', { chunks: [bytes(1)] });
    expect(cache.size).toBe(0);
  });
});

describe('audioCacheKey', () => {
  const parts = { parts: ['Hello.'], voice: 'v', model: 'm', format: 'mp3_44100_128', settings: { stability: 0.5, similarity_boost: 0.75, speed: 1 } };

  it('is the same whatever the order of keys, at every depth', () => {
    const reordered = { settings: { speed: 1, similarity_boost: 0.75, stability: 0.5 }, format: 'mp3_44100_128', model: 'm', voice: 'v', parts: ['Hello.'] };
    expect(audioCacheKey(reordered)).toBe(audioCacheKey(parts));
  });

  it('ignores undefined fields', () => {
    expect(audioCacheKey({ ...parts, extra: undefined })).toBe(audioCacheKey(parts));
  });

  it('changes with any nested voice setting, the text, the voice, the model and the format', () => {
    const key = audioCacheKey(parts);
    const variants = [
      { ...parts, settings: { ...parts.settings, stability: 0.51 } },
      { ...parts, settings: { ...parts.settings, speed: 1.1 } },
      { ...parts, parts: ['Hello!'] },
      { ...parts, parts: ['Hello.', ''] },
      { ...parts, voice: 'w' },
      { ...parts, model: 'n' },
      { ...parts, format: 'pcm_16000' },
    ];
    const keys = variants.map(audioCacheKey);
    expect(keys).not.toContain(key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('tells apart values that look alike as text', () => {
    expect(audioCacheKey({ a: 1 })).not.toBe(audioCacheKey({ a: '1' }));
    expect(audioCacheKey({ a: null })).not.toBe(audioCacheKey({ a: 'null' }));
    expect(audioCacheKey({ a: ['x,y'] })).not.toBe(audioCacheKey({ a: ['x', 'y'] }));
  });

  it('is URL-safe', () => {
    expect(audioCacheKey(parts)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
