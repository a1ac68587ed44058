import { Injectable } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { PasswordHasher } from '../../common/security/password-hasher.js';

/** argon2id with OWASP's minimum profile (19 MiB, t=2, p=1); runs off the event loop. */
@Injectable()
export class Argon2PasswordHasher extends PasswordHasher {
  async hash(password: string): Promise<string> {
    return hash(password, {
      algorithm: Algorithm.Argon2id,
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
  }

  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await verify(stored, password);
    } catch {
      return false;
    }
  }
}
