import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../../core/errors.js';
import { openApiDocument } from '../../../core/http/openapi.js';
import { OUTPUT_FORMATS } from '../../../core/types.js';

describe('openApiDocument', () => {
  const document = openApiDocument('1.2.3', '/jessica') as {
    openapi: string;
    info: { version: string };
    servers: Array<{ url: string }>;
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    components: { schemas: Record<string, { properties?: Record<string, { enum?: unknown[] }> }> };
  };

  it('is OpenAPI 3.1 for this version, served under the root path', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.version).toBe('1.2.3');
    expect(document.servers).toEqual([{ url: '/jessica/api/v1' }]);
    expect((openApiDocument('1', '') as { servers: unknown }).servers).toEqual([{ url: '/api/v1' }]);
  });

  it('describes every REST route with its methods', () => {
    const routes = Object.fromEntries(Object.entries(document.paths).map(([path, item]) => [path, Object.keys(item).sort()]));
    expect(routes).toEqual({
      '/voices': ['get'],
      '/voices/{voice_id}/settings': ['get'],
      '/models': ['get'],
      '/tts': ['post'],
      '/tts/stream': ['post'],
      '/speak': ['post'],
      '/stop': ['post'],
      '/settings': ['get', 'patch'],
      '/usage': ['get'],
      '/openapi.json': ['get'],
    });
    expect(Object.keys(document.paths['/speak']!['post']!.responses)).toEqual(expect.arrayContaining(['202', '409', '503']));
  });

  it('names every operation, declares bearer security and the stable error codes per status', () => {
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item)) as unknown as Array<{ operationId?: string; responses: Record<string, { description: string }> }>;
    const ids = operations.map((operation) => operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect((document as unknown as { security: unknown }).security).toEqual([{ bearer: [] }, {}]);
    for (const operation of operations) {
      expect(operation.responses['401']?.description).toBe('unauthorized');
      expect(operation.responses['403']?.description).toBe('forbidden_origin, forbidden_host');
      expect(operation.responses['429']?.description).toBe('rate_limited');
    }
  });

  it('documents voice_settings as the set fields or null', () => {
    const settings = document.components.schemas['Settings'] as unknown as { properties: { voice_settings: { anyOf: unknown[] } } };
    expect(settings.properties.voice_settings.anyOf).toEqual([{ $ref: '#/components/schemas/VoiceSettings' }, { type: 'null' }]);
  });

  it('lists the error codes and output formats the API uses', () => {
    const error = document.components.schemas['Error'] as unknown as { properties: { error: { properties: { code: { enum: string[] } } } } };
    expect(error.properties.error.properties.code.enum).toEqual(Object.keys(ERROR_STATUS));
    expect(document.components.schemas['SynthesisRequest']?.properties?.['output_format']?.enum).toEqual([...OUTPUT_FORMATS]);
  });
});
