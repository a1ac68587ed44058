// What an optional module adds to the OpenAPI document beyond its own routes: its fields on the
// core's schemas, its security schemes. Each module declares them in a provider marked
// @OpenApiDocs(); the document applies the providers of the modules that run, so with a module
// off its fields are not in /docs-json.
import { DiscoveryService } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';

type SchemaObject = Record<string, unknown>;
type SecuritySchemeObject = NonNullable<
  NonNullable<OpenAPIObject['components']>['securitySchemes']
>[string];

export interface OpenApiContribution {
  /** Properties that component schemas gain, by schema name (e.g. RoomDto: { orgId }). */
  properties?: Record<string, Record<string, SchemaObject>>;
  /** Security schemes, by name. */
  securitySchemes?: Record<string, SecuritySchemeObject>;
  /**
   * Error codes the module answers that its own routes' tables do not name (codes it adds to
   * the core's routes, e.g. MUTED on a send), for the error body's `code` enum.
   */
  errorCodes?: readonly string[];
}

export interface OpenApiDocsProvider {
  openApiDocs(): OpenApiContribution;
}

export const OpenApiDocs = DiscoveryService.createDecorator<void>();

/** Applies contributions to a generated document (in place). */
export function applyOpenApiContributions(
  doc: OpenAPIObject,
  contributions: OpenApiContribution[],
): void {
  const components = (doc.components ??= {});
  const schemas = (components.schemas ??= {}) as Record<string, SchemaObject>;
  for (const c of contributions) {
    for (const [name, props] of Object.entries(c.properties ?? {})) {
      const s = schemas[name];
      // A schema no route of this application uses is not in the document: nothing to extend.
      if (!s) continue;
      s.properties = { ...(s.properties ?? {}), ...props };
    }
    if (c.securitySchemes)
      components.securitySchemes = { ...(components.securitySchemes ?? {}), ...c.securitySchemes };
  }
}
