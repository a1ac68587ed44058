import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import {
  applyOpenApiContributions,
  OpenApiDocs,
  type OpenApiContribution,
  type OpenApiDocsProvider,
} from '../../common/http/openapi-docs.js';

type Json = Record<string, unknown>;

/**
 * Finishes the generated OpenAPI document: the running modules' contributions, then the error
 * body's `code` enum made of exactly the codes the routes document and the running modules
 * contribute (each module owns its codes, through its routes' decorators and its contribution;
 * the core lists none, and a module that is off adds none).
 */
@Injectable()
export class OpenApiDocumentService {
  constructor(private readonly discovery: DiscoveryService) {}

  finish(doc: OpenAPIObject): OpenAPIObject {
    const seen = new Set<unknown>();
    const contributions: OpenApiContribution[] = [];
    for (const w of this.discovery.getProviders({ metadataKey: OpenApiDocs.KEY })) {
      const p = w.instance as OpenApiDocsProvider | undefined;
      if (!p || seen.has(p) || typeof p.openApiDocs !== 'function') continue;
      seen.add(p);
      contributions.push(p.openApiDocs());
    }
    applyOpenApiContributions(doc, contributions);

    const codes = new Set<string>(contributions.flatMap((c) => c.errorCodes ?? []));
    for (const ops of Object.values(doc.paths))
      for (const op of Object.values(ops as Record<string, Json>)) {
        const responses = (op?.responses ?? {}) as Record<string, Json>;
        for (const r of Object.values(responses)) {
          const content = (r.content ?? {}) as Record<string, { examples?: Record<string, Json> }>;
          for (const media of Object.values(content))
            for (const ex of Object.values(media.examples ?? {})) {
              const code = (ex.value as { code?: unknown } | undefined)?.code;
              if (typeof code === 'string') codes.add(code);
            }
        }
      }
    const errorBody = doc.components?.schemas?.ErrorResponseDto as
      { properties: Record<string, Json> } | undefined;
    if (errorBody) errorBody.properties.code.enum = [...codes].sort();
    return doc;
  }
}
