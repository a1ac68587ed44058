import { Global, Module } from '@nestjs/common';
import { PasswordHasher } from '../../common/security/password-hasher.js';
import { Argon2PasswordHasher } from './argon2-password-hasher.js';

/** Password hashing for accounts and private rooms alike. */
@Global()
@Module({
  providers: [{ provide: PasswordHasher, useClass: Argon2PasswordHasher }],
  exports: [PasswordHasher],
})
export class SecurityModule {}
