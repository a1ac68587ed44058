import { Injectable } from '@nestjs/common';
import {
  OpenApiDocs,
  type OpenApiContribution,
  type OpenApiDocsProvider,
} from '../../common/http/openapi-docs.js';
import { BotErrorCodes } from './domain/bot-errors.js';

/** The bots module's security scheme (`Authorization: Bot <token>` on the bot API) and codes. */
@Injectable()
@OpenApiDocs()
export class BotsOpenApiDocs implements OpenApiDocsProvider {
  openApiDocs(): OpenApiContribution {
    return {
      errorCodes: Object.values(BotErrorCodes),
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
