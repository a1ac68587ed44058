import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import {
  ProtocolDocs,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';
import { buildAsyncApiDocument } from './asyncapi-document.js';

/**
 * The AsyncAPI document of this application: assembled from every provider marked
 * @ProtocolDocs() among the modules it runs, so an enterprise module that is off adds nothing.
 */
@Injectable()
export class AsyncApiService {
  private contributions: ProtocolContribution[] | null = null;

  constructor(private readonly discovery: DiscoveryService) {}

  document(host = 'localhost:3000'): Record<string, unknown> {
    return buildAsyncApiDocument(this.collect(), { version: '2', host });
  }

  private collect(): ProtocolContribution[] {
    if (!this.contributions) {
      const seen = new Set<unknown>();
      this.contributions = [];
      for (const w of this.discovery.getProviders({ metadataKey: ProtocolDocs.KEY })) {
        const p = w.instance as ProtocolDocsProvider | undefined;
        // A static module imported by several modules is one instance: counted once.
        if (!p || seen.has(p) || typeof p.protocolDocs !== 'function') continue;
        seen.add(p);
        this.contributions.push(p.protocolDocs());
      }
    }
    return this.contributions;
  }
}
