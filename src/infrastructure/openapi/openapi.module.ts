import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { HttpErrorsOpenApiDocs } from './http-errors.openapi.js';
import { OpenApiDocumentService } from './openapi-document.service.js';

/** Finishes /docs-json from the running modules (served by app.factory when DOCS_ENABLED). */
@Module({
  imports: [DiscoveryModule],
  providers: [OpenApiDocumentService, HttpErrorsOpenApiDocs],
  exports: [OpenApiDocumentService],
})
export class OpenApiModule {}
