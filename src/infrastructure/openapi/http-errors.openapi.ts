import { Injectable } from '@nestjs/common';
import {
  OpenApiDocs,
  type OpenApiContribution,
  type OpenApiDocsProvider,
} from '../../common/http/openapi-docs.js';

/**
 * The codes the HTTP layer itself answers on any route with a body, before a controller runs
 * (common/errors/http-exception.filter.ts): a body over the size limit, or one that is not JSON.
 */
@Injectable()
@OpenApiDocs()
export class HttpErrorsOpenApiDocs implements OpenApiDocsProvider {
  openApiDocs(): OpenApiContribution {
    return { errorCodes: ['PAYLOAD_TOO_LARGE', 'MALFORMED_JSON'] };
  }
}
