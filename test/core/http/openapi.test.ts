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
      '/models': ['get'],
      '/tts': ['post'],
      '/tts/stream': ['post'],
      '/speak': ['post'],
      '/stop': ['post'],
      '/settings': ['get', 'patch'],
      '/usage': ['get'],
    });
    expect(Object.keys(document.paths['/speak']!['post']!.responses)).toEqual(expect.arrayContaining(['202', '409', '503']));
  });

  it('lists the error codes and output formats the API uses', () => {
    const error = document.components.schemas['Error'] as unknown as { properties: { error: { properties: { code: { enum: string[] } } } } };
    expect(error.properties.error.properties.code.enum).toEqual(Object.keys(ERROR_STATUS));
    expect(document.components.schemas['SynthesisRequest']?.properties?.['output_format']?.enum).toEqual([...OUTPUT_FORMATS]);
  });
});
