import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AsyncApiService } from './asyncapi.service.js';

/** GET /asyncapi.json (served by app.factory, like /docs-json, when DOCS_ENABLED). */
@Module({
  imports: [DiscoveryModule],
  providers: [AsyncApiService],
  exports: [AsyncApiService],
})
export class AsyncApiModule {}
