export { startFakeElevenLabs } from './server.js';
export type { FakeElevenLabs, FakeElevenLabsOptions, Fault, FaultScope, RecordedRequest, SentAudio } from './types.js';
export { AUDIO_FIXTURES } from './audio-fixtures.js';
export { mp3DurationSeconds, startsLikeMp3 } from './mp3.js';
export { MODELS as FAKE_MODELS, VOICES as FAKE_VOICES } from './catalog.js';
