import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * JWT_SECRET when configured (required in production, checked by config validation);
 * otherwise a random secret generated once and kept under DATA_DIR so restarts keep sessions.
 */
export function resolveJwtSecret(cfg: {
  jwtSecret: string | null;
  dataDir: string;
  isProduction: boolean;
}): string {
  if (cfg.jwtSecret) return cfg.jwtSecret;
  if (cfg.isProduction) throw new Error('JWT_SECRET is required when NODE_ENV=production');
  const file = path.resolve(cfg.dataDir, 'jwt-secret');
  if (existsSync(file)) {
    const s = readFileSync(file, 'utf8').trim();
    if (s.length >= 32) return s;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}
