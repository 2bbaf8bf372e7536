import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorCode } from '../../core/errors.js';
import { TestListener, wsUrl } from '../support/listener.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually, nextFrame } from '../reliability/helpers.js';
import { deepJson, FUZZ_TOKENS, FUZZ_TOKENS_ENV, RUNS, synthesisBody, within } from './fuzz-support.js';

const SERVER_TYPES = new Set(['hello', 'audio.start', 'audio.words', 'audio.end', 'audio.error', 'stopped', 'settings', 'error', 'pong']);
/** Frames per connection before it is replaced, well inside the flood allowance (a burst of 60). */
const FRAMES_PER_CONNECTION = 40;

const weird = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('', '\u0000', '\uD800', '__proto__', 'constructor'));

/** Text frames: JSON messages of every type with every field bent, and text that is not a message at all. */
const textFrame: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom('speak', 'speak', 'SPEAK', 'speak '), synthesisBody).map(([type, body]) => JSON.stringify({ ...body, type })) },
  { weight: 3, arbitrary: fc.record({ type: fc.oneof(fc.constantFrom('stop', 'ping', 'played', 'hello', 'audio.start', 'pong', 'error', ''), weird, fc.anything({ maxDepth: 1 })), id: fc.oneof(weird, fc.anything({ maxDepth: 1 }), fc.string({ minLength: 90, maxLength: 200 })) }, { requiredKeys: ['type'] }).map((frame) => JSON.stringify(frame)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: weird },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 30_000 }).map((depth) => deepJson(depth)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 10_000 }).map((depth) => `{"type":"speak","text":"hi","voice_settings":${deepJson(depth, '{"a":', '}').replace(/\{"a":\}/, '{"a":1}')}}`) },
);

/** Only the ASCII bytes, so the one bad sequence is what makes the frame invalid. */
const ascii = (bytes: Uint8Array) => Buffer.from(bytes.filter((byte) => byte < 0x80));

interface Lane {
  listener: TestListener;
  sent: number;
  /** How far the frames have been checked. */
  checked: number;
}

describe('WebSocket frames, generated, over real sockets', () => {
  let stack: Stack;
  const url = () => wsUrl(stack.server.url, '/ws');
  const tokens = [FUZZ_TOKENS.alice, FUZZ_TOKENS.bob];
  let opened = 0;
  const lanes: Lane[] = [];

  const fresh = async (): Promise<Lane> => {
    opened += 1;
    return { listener: await TestListener.connect(url(), { token: tokens[opened % 2] }), sent: 0, checked: 0 };
  };

  /** Problems among the frames received since the last check. */
  const frameProblems = (lane: Lane): string[] => {
    const problems: string[] = [];
    const frames = lane.listener.frames;
    for (; lane.checked < frames.length; lane.checked += 1) {
      const frame = frames[lane.checked]!;
      if (frame.kind === 'binary') continue;
      const { type } = frame.value;
      if (!SERVER_TYPES.has(type)) problems.push(`unknown frame type ${type}`);
      if (type === 'error' || type === 'audio.error') {
        const code = frame.value['code'];
        if (!isErrorCode(code) || code === 'internal_error') problems.push(`${type} with code ${String(code)}`);
        if (typeof frame.value['message'] !== 'string' || frame.value['message'] === '') problems.push(`${type} without a message`);
      }
      if (type === 'audio.words') {
        const words = frame.value['words'];
        const wellFormed = (word: unknown) =>
          typeof word === 'object' && word !== null && typeof (word as Record<string, unknown>)['text'] === 'string' &&
          Number.isFinite((word as Record<string, unknown>)['start_ms']) && Number.isFinite((word as Record<string, unknown>)['end_ms']);
        if (typeof frame.value['id'] !== 'string' || !Array.isArray(words) || words.length === 0 || !words.every(wellFormed)) problems.push('malformed audio.words');
      }
    }
    return problems;
  };

  beforeAll(async () => {
    stack = await startStack({ JESSICA_TOKENS: FUZZ_TOKENS_ENV, JESSICA_RATE_LIMIT: '1000000' });
    lanes.push(await fresh(), await fresh());
  });
  afterAll(async () => {
    for (const lane of lanes) lane.listener.close();
    await stack.close();
  });

  it(`answers ${RUNS.wsText} generated text frames with well-formed frames, keeping the connection open`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(1), fc.array(textFrame, { minLength: 1, maxLength: 3 }), async (which, frames) => {
        let lane = lanes[which]!;
        if (lane.sent + frames.length + 1 > FRAMES_PER_CONNECTION) {
          lane.listener.close();
          lane = lanes[which] = await fresh();
        }
        for (const frame of frames) lane.listener.send(frame);
        const from = lane.listener.frames.length;
        lane.listener.send({ type: 'ping' });
        lane.sent += frames.length + 1;
        // The pong proves the connection is alive and every frame before it was read.
        await within(nextFrame(lane.listener, from, (value) => value.type === 'pong'), 10_000, 'pong');
        const problems = frameProblems(lane);
        if (lane.listener.closed) problems.push(`closed with ${lane.listener.closed.code}`);
        if (problems.length > 0) throw new Error(problems.join('; '));
      }),
      { numRuns: RUNS.wsText },
    );
  });

  it(`answers ${RUNS.wsBinary} generated binary frames with an invalid_request error frame`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_000 }), async (bytes) => {
        let lane = lanes[0]!;
        if (lane.sent + 2 > FRAMES_PER_CONNECTION) {
          lane.listener.close();
          lane = lanes[0] = await fresh();
        }
        const from = lane.listener.frames.length;
        lane.listener.ws.send(bytes, { binary: true });
        lane.sent += 1;
        const error = await within(nextFrame(lane.listener, from, (value) => value.type === 'error'), 10_000, 'error frame');
        if (error['code'] !== 'invalid_request') throw new Error(`binary frame answered with ${String(error['code'])}`);
        if (lane.listener.closed) throw new Error(`closed with ${lane.listener.closed.code}`);
        lane.checked = lane.listener.frames.length;
      }),
      { numRuns: RUNS.wsBinary },
    );
  });

  it(`closes with 1007 on ${RUNS.wsInvalidUtf8} text frames that are not UTF-8, and nothing else breaks`, async () => {
    const invalid = fc
      .tuple(fc.uint8Array({ maxLength: 40 }), fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]), fc.uint8Array({ maxLength: 40 }))
      .map(([before, bad, after]) => Buffer.concat([ascii(before), Buffer.from(bad), ascii(after)]));
    await fc.assert(
      fc.asyncProperty(invalid, async (bytes) => {
        const lane = await fresh();
        lane.listener.ws.send(bytes, { binary: false });
        const closed = await within(lane.listener.waitClosed(), 10_000, 'close');
        if (closed.code !== 1007) throw new Error(`closed with ${closed.code}, not 1007`);
      }),
      { numRuns: RUNS.wsInvalidUtf8 },
    );
  });

  it(`closes with 1009 on ${RUNS.wsOversized} frames over 64 KiB, text or binary`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 64 * 1024 + 1, max: 512 * 1024 }), fc.boolean(), async (size, binary) => {
        const lane = await fresh();
        lane.listener.ws.send(binary ? Buffer.alloc(size, 7) : JSON.stringify({ type: 'speak', text: 'x'.repeat(size) }), { binary });
        const closed = await within(lane.listener.waitClosed(), 10_000, 'close');
        if (closed.code !== 1009) throw new Error(`closed with ${closed.code}, not 1009`);
      }),
      { numRuns: RUNS.wsOversized },
    );
  });

  it(`closes with 1008 on ${RUNS.wsFlood} floods of frames, answering each frame it read first`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 70, max: 400 }), fc.constantFrom('{"type":"ping"}', '{"type":"nope"}', 'garbage', '{"type":"played","id":"x"}'), async (count, frame) => {
        const lane = await fresh();
        for (let i = 0; i < count; i += 1) lane.listener.send(frame);
        const closed = await within(lane.listener.waitClosed(), 10_000, 'close');
        if (closed.code !== 1008) throw new Error(`closed with ${closed.code}, not 1008`);
        const problems = frameProblems(lane);
        if (problems.length > 0) throw new Error(problems.join('; '));
      }),
      { numRuns: RUNS.wsFlood },
    );
  });

  it('keeps serving afterwards, with no listener left behind by the connections it closed', async () => {
    for (const lane of lanes.splice(0)) lane.listener.close();
    await eventually(() => stack.server.hub.totalListeners === 0, 10_000);
    const listener = await TestListener.connect(url(), { token: FUZZ_TOKENS.alice });
    listener.send({ type: 'speak', text: 'Still here.' });
    await listener.next('audio.end');
    listener.close();
    expect((await stack.request('/health')).status).toBe(200);
  });
});
