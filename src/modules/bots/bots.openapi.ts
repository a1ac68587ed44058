import { Injectable } from '@nestjs/common';
import {
  OpenApiDocs,
  type OpenApiContribution,
  type OpenApiDocsProvider,
} from '../../common/http/openapi-docs.js';

/** The bots module's security scheme: `Authorization: Bot <token>` on the bot API. */
@Injectable()
@OpenApiDocs()
export class BotsOpenApiDocs implements OpenApiDocsProvider {
  openApiDocs(): OpenApiContribution {
    return {
      securitySchemes: {
        bot: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: '`Bot <token>`: the token from POST /api/bots or POST /api/bots/:id/token',
        },
      },
    };
  }
}
