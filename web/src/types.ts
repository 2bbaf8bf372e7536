/**
 * Shapes of the REST API (SPEC §4), as the page uses them: the core's own types, imported for
 * their types only, so nothing of the server is bundled into the page.
 */
export type { Health } from '../../core/jessica.js';
export type { Model, Settings, Usage, Voice, VoiceSettings } from '../../core/types.js';
import type { Settings, VoiceSettings } from '../../core/types.js';

/** `voice_settings: null` hands every voice setting back to the voice. */
export type SettingsPatch = Partial<Omit<Settings, 'voice_settings'>> & { voice_settings?: Partial<VoiceSettings> | null };
