import { describe, expect, it } from '@jest/globals';
import type { DiscoveryService } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { OpenApiContribution } from '../../common/http/openapi-docs.js';
import { OpenApiDocumentService } from './openapi-document.service.js';

/** The providers the discovery finds (what a marked provider's wrapper holds). */
const discoveryOf = (instances: unknown[]) =>
  ({
    getProviders: () => instances.map((instance) => ({ instance })),
  }) as unknown as DiscoveryService;
const provider = (c: OpenApiContribution) => ({ openApiDocs: () => c });

/** A generated document: two routes documenting their errors by examples, the error body. */
function generated(): OpenAPIObject {
  const errors = (...codes: string[]) => ({
    content: {
      'application/json': {
        examples: Object.fromEntries(codes.map((code) => [code, { value: { code } }])),
      },
    },
  });
  return {
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {
      '/api/rooms': { post: { responses: { 400: errors('VALIDATION_FAILED'), 201: {} } } },
      '/api/rooms/{id}': {
        get: { responses: { 404: errors('ROOM_NOT_FOUND'), 403: errors('NOT_ROOM_MEMBER') } },
        delete: { responses: { 404: errors('ROOM_NOT_FOUND') } },
      },
    },
    components: {
      schemas: {
        ErrorResponseDto: { type: 'object', properties: { code: { type: 'string' } } },
        RoomDto: { type: 'object', properties: { id: { type: 'string' } } },
      },
    },
  } as unknown as OpenAPIObject;
}

const codeEnum = (doc: OpenAPIObject) =>
  (doc.components!.schemas!.ErrorResponseDto as { properties: { code: { enum?: string[] } } })
    .properties.code.enum;

describe('OpenApiDocumentService', () => {
  it("the error code enum is exactly the routes' documented codes and the running modules' own, sorted, once each", () => {
    const orgs = provider({ errorCodes: ['ORG_NOT_FOUND', 'ROOM_NOT_FOUND'] });
    const service = new OpenApiDocumentService(discoveryOf([orgs, orgs, { other: true }, null]));
    const doc = service.finish(generated());
    expect(codeEnum(doc)).toEqual([
      'NOT_ROOM_MEMBER',
      'ORG_NOT_FOUND',
      'ROOM_NOT_FOUND',
      'VALIDATION_FAILED',
    ]);
  });

  it("a module's fields and security schemes are added while it runs, and only then", () => {
    const contribution = provider({
      properties: { RoomDto: { orgId: { type: 'string' } }, UnusedDto: { x: { type: 'string' } } },
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } },
      errorCodes: ['MUTED'],
    });
    const on = new OpenApiDocumentService(discoveryOf([contribution])).finish(generated());
    const schemas = on.components!.schemas as Record<string, { properties: object }>;
    expect(Object.keys(schemas.RoomDto.properties)).toEqual(['id', 'orgId']);
    expect(schemas.UnusedDto).toBeUndefined(); // a schema no route uses is not created
    expect(Object.keys(on.components!.securitySchemes ?? {})).toEqual(['apiKey']);
    expect(codeEnum(on)).toContain('MUTED');

    const off = new OpenApiDocumentService(discoveryOf([])).finish(generated());
    const offSchemas = off.components!.schemas as Record<string, { properties: object }>;
    expect(Object.keys(offSchemas.RoomDto.properties)).toEqual(['id']);
    expect(off.components!.securitySchemes).toBeUndefined();
    expect(codeEnum(off)).not.toContain('MUTED');
  });
});
