import { Module, type DynamicModule } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { ProxyRepository } from './domain/proxy.repository.js';
import { SqlProxyRepository } from './infrastructure/persistence/sql-proxy.repository.js';
import { ProxyController } from './proxy.controller.js';
import { ProxySendHooks } from './proxy-send.hooks.js';
import { ProxyService } from './proxy.service.js';
import { ProxyProtocolDocs } from './proxy.protocol.js';

/**
 * Acting on another's behalf (FEATURE_PROXY_SYSTEM): grants, the send policy resolving
 * `onBehalfOf`, and the audit trail. Off unless its flag is set; registered by AppModule.forRoot.
 */
@Module({})
export class ProxyModule {
  static forRoot(): DynamicModule {
    return {
      module: ProxyModule,
      imports: [UsersModule],
      controllers: [ProxyController],
      providers: [
        ProxyProtocolDocs,
        ProxyService,
        ProxySendHooks,
        { provide: ProxyRepository, useClass: SqlProxyRepository },
      ],
    };
  }
}
