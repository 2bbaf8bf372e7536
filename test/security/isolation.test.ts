import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { TestListener, wsUrl } from '../support/listener.js';
import { startStack, type Stack } from '../support/stack.js';
import { callTool, delay } from '../reliability/helpers.js';
import { lambdaHandler, type LambdaCall } from './lambda-events.js';

const ALICE = 'alice-isolation-token-1';
const BOB = 'bob-isolation-token-22';
const TOKENS = `alice:${ALICE},bob:${BOB}`;

const audioFrames = (listener: TestListener) => listener.frames.filter((frame) => frame.kind === 'binary').length;
const typesOf = (listener: TestListener) => listener.json().map((frame) => frame['type']);

describe('principals are isolated on the live server', () => {
  let stack: Stack;
  const open: TestListener[] = [];
  const listen = async (token: string) => {
    const listener = await TestListener.connect(wsUrl(stack.server.url, '/ws'), { token });
    open.push(listener);
    return listener;
  };

  beforeAll(async () => {
    stack = await startStack({ JESSICA_TOKENS: TOKENS, JESSICA_RATE_LIMIT: '100000' });
  });
  afterEach(() => {
    for (const listener of open.splice(0)) listener.close();
    stack.fake.reset();
  });
  afterAll(async () => {
    await stack.close();
  });

  it("never plays alice's speech to bob, whether it comes from REST, a WebSocket frame or MCP", async () => {
    const alice = await listen(ALICE);
    const bob = await listen(BOB);
    await stack.request('/api/v1/speak', { token: ALICE, body: { text: 'Secret one, over REST.' } });
    await alice.next('audio.end');
    alice.send({ type: 'speak', text: 'Secret two, over the socket.' });
    await alice.next('audio.end');
    const tool = await callTool(stack, 'speak_text', { text: 'Secret three, over MCP.' }, ALICE);
    expect(tool.isError).toBe(false);
    await alice.next('audio.end');
    await delay(100);
    expect(typesOf(bob)).toEqual(['hello']);
    expect(audioFrames(bob)).toBe(0);
  });

  it("never lets alice stop bob's speech", async () => {
    const bob = await listen(BOB);
    await listen(ALICE);
    stack.fake.configure({ chunkDelayMs: 20, chunkSize: 2048 });
    const spoken = await stack.request('/api/v1/speak', { token: BOB, body: { text: 'Bob keeps talking.' } });
    const { utterance_id } = (await spoken.json()) as { utterance_id: string };
    await bob.next('audio.start');
    const stop = await stack.request('/api/v1/stop', { token: ALICE, method: 'POST' });
    expect(await stop.json()).toEqual({ stopped: 0 });
    expect(await callTool(stack, 'stop_speech', {}, ALICE)).toMatchObject({ isError: false });
    const end = await bob.next('audio.end');
    expect(end['id']).toBe(utterance_id);
    expect(bob.json('stopped')).toHaveLength(0);
    expect(bob.audioOf(utterance_id).equals(stack.fake.sentAudio.at(-1)!.bytes)).toBe(true);
  });

  it("never lets alice read or change bob's settings, over REST, MCP or the socket's settings push", async () => {
    const bob = await listen(BOB);
    const before = await (await stack.request('/api/v1/settings', { token: BOB })).json();
    const patched = await stack.request('/api/v1/settings', { token: ALICE, method: 'PATCH', body: { auto_play: false, voice_settings: { speed: 0.8 } } });
    expect(patched.status).toBe(200);
    expect(await callTool(stack, 'update_settings', { default_voice_id: 'george', output_format: 'mp3_22050_32' }, ALICE)).toMatchObject({ isError: false });
    expect(await (await stack.request('/api/v1/settings', { token: BOB })).json()).toEqual(before);
    const viaMcp = await callTool(stack, 'get_settings', {}, BOB);
    expect(JSON.parse(viaMcp.content[0]!.text!)).toEqual(before);
    await delay(100);
    expect(bob.json('settings')).toHaveLength(0);
    const aliceSettings = await (await stack.request('/api/v1/settings', { token: ALICE })).json();
    expect(aliceSettings).toMatchObject({ auto_play: false, output_format: 'mp3_22050_32', voice_settings: { speed: 0.8 } });
  });

  it("never lets alice's listener confirm playback of bob's utterance", async () => {
    const bob = await listen(BOB);
    const alice = await listen(ALICE);
    const waiting = callTool(stack, 'speak_text', { text: 'Did Bob hear this?', wait: true }, BOB);
    const end = await bob.next('audio.end');
    // Even knowing the id, alice's played frame must not settle bob's wait.
    alice.send({ type: 'played', id: end['id'] });
    const early = await Promise.race([waiting.then(() => 'settled'), delay(300).then(() => 'pending')]);
    expect(early).toBe('pending');
    bob.send({ type: 'played', id: end['id'] });
    const result = await waiting;
    expect(result.content[0]?.text).toMatch(/^Played on 1 page/);
  });
});

describe('principals are isolated on the Lambda HTTP handler', () => {
  let fake: FakeElevenLabs;
  let call: LambdaCall;
  beforeAll(async () => {
    fake = await startFakeElevenLabs();
    call = lambdaHandler({ ELEVENLABS_BASE_URL: fake.url, ELEVENLABS_API_KEY: fake.apiKey, JESSICA_TOKENS: TOKENS, JESSICA_SETTINGS: 'memory:' }).call;
  });
  afterAll(async () => {
    await fake.close();
  });

  it("never lets alice read or change bob's settings", async () => {
    const before = (await call({ path: '/api/v1/settings', token: BOB })).json;
    const patched = await call({ method: 'PATCH', path: '/api/v1/settings', token: ALICE, body: { auto_play: false, default_voice_id: 'george' } });
    expect(patched.statusCode).toBe(200);
    expect((await call({ path: '/api/v1/settings', token: BOB })).json).toEqual(before);
    expect((await call({ path: '/api/v1/settings', token: ALICE })).json).toMatchObject({ auto_play: false, default_voice_id: 'JBFqnCBsd6RMkjVDRZzb' });
  });
});
