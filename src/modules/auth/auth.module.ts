import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { authConfig, type AuthConfig } from '../../config/configuration.js';
import { UsersModule } from '../users/users.module.js';
import { AccessTokenGuard } from './auth.guard.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { CallerAuthenticator } from './caller-authenticator.js';
import { LoginAttemptRepository } from './domain/login-attempt.repository.js';
import { SessionRepository } from './domain/session.repository.js';
import { SqlLoginAttemptRepository } from './infrastructure/persistence/sql-login-attempt.repository.js';
import { SqlSessionRepository } from './infrastructure/persistence/sql-session.repository.js';
import { LoginThrottle } from './login-throttle.service.js';
import { resolveJwtSecret } from './jwt-secret.js';
import { AuthProtocolDocs } from './auth.protocol.js';

@Module({
  imports: [
    UsersModule,
    JwtModule.registerAsync({
      inject: [authConfig.KEY],
      // A KeyObject, not a string: jsonwebtoken first tries a string as a PEM public key (and
      // throws), which cost ~0.45 ms on every verification; a secret KeyObject skips that.
      useFactory: (cfg: AuthConfig) => ({
        secret: createSecretKey(Buffer.from(resolveJwtSecret(cfg))) as unknown as Buffer,
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AuthProtocolDocs,
    AuthService,
    // The WebSocket upgrade (realtime module) authenticates through this port.
    { provide: CallerAuthenticator, useExisting: AuthService },
    LoginThrottle,
    { provide: SessionRepository, useClass: SqlSessionRepository },
    { provide: LoginAttemptRepository, useClass: SqlLoginAttemptRepository },
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
  exports: [AuthService, CallerAuthenticator, SessionRepository],
})
export class AuthModule {}
