import { Global, Module } from '@nestjs/common';
import { AuthorizationService } from '../authz/authorization.service.js';
import { PermissionGuard } from '../authz/require-permission.js';
import { ChatExtensions } from './chat-extensions.js';

/** The extension registry and authorization, shared by the core and the optional modules. */
@Global()
@Module({
  providers: [
    // A factory, not a shared value: each application (tests start several) has its own.
    { provide: ChatExtensions, useFactory: () => new ChatExtensions() },
    AuthorizationService,
    PermissionGuard,
  ],
  exports: [ChatExtensions, AuthorizationService, PermissionGuard],
})
export class ExtensionsModule {}
