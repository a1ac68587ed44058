import { Module, type DynamicModule } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { BotsOpenApiDocs } from './bots.openapi.js';
import { BotsService } from './bots.service.js';
import { BotRepository } from './domain/bot.repository.js';
import { WebhookDeliveryRepository } from './domain/webhook-delivery.repository.js';
import { BotApiController } from './http/bot-api.controller.js';
import { BotAuthGuard } from './http/bot-auth.guard.js';
import { BotsController } from './http/bots.controller.js';
import { RoomBotsController } from './http/room-bots.controller.js';
import { SqlBotRepository } from './infrastructure/persistence/sql-bot.repository.js';
import { SqlWebhookDeliveryRepository } from './infrastructure/persistence/sql-webhook-delivery.repository.js';
import { WebhookNetwork } from './infrastructure/webhooks/webhook-network.js';
import { WebhookDispatcher } from './webhook-dispatcher.service.js';
import { WebhookFanout } from './webhook-fanout.service.js';

/**
 * Enterprise module (FEATURE_BOT_MESSAGES; off unless set): bots that post as users backed by
 * bot accounts, with outgoing signed webhooks. Registered by AppModule.forRoot.
 */
@Module({})
export class BotsModule {
  static forRoot(): DynamicModule {
    return {
      module: BotsModule,
      imports: [RoomsModule, MessagesModule],
      controllers: [BotsController, RoomBotsController, BotApiController],
      providers: [
        BotsOpenApiDocs,
        BotsService,
        BotAuthGuard,
        WebhookNetwork,
        WebhookDispatcher,
        WebhookFanout,
        { provide: BotRepository, useClass: SqlBotRepository },
        { provide: WebhookDeliveryRepository, useClass: SqlWebhookDeliveryRepository },
      ],
    };
  }
}
