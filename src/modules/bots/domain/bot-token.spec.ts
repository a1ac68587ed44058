import { describe, expect, it } from '@jest/globals';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import {
  botAuthorization,
  botTokenMatches,
  hashBotToken,
  issueBotToken,
  parseBotToken,
  webhookSignature,
} from './bot-token.js';

describe('bot tokens', () => {
  it('names the bot, carries 32 random bytes, and stores only the SHA-256', () => {
    const id = randomUUID();
    const { token, hash } = issueBotToken(id);
    expect(token).toMatch(/^bot_[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
    expect(parseBotToken(token)).toEqual({ botId: id });
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hash).not.toContain(token.split('.')[1]);
    expect(issueBotToken(id).token).not.toBe(token);
  });

  it('matches only the token it was issued for', () => {
    const { token, hash } = issueBotToken(randomUUID());
    expect(botTokenMatches(hash, token)).toBe(true);
    expect(botTokenMatches(hash, token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).toBe(
      false,
    );
    expect(botTokenMatches('', token)).toBe(false);
    expect(botTokenMatches('zz', token)).toBe(false);
  });

  it('refuses malformed tokens', () => {
    for (const bad of ['', 'bot_', 'bot_abc.def', `Bearer x`, `bot_${'0'.repeat(32)}.short`])
      expect(parseBotToken(bad)).toBeNull();
  });

  it('reads the Bot authorization scheme only', () => {
    expect(botAuthorization('Bot abc')).toBe('abc');
    expect(botAuthorization('bot   abc  ')).toBe('abc');
    expect(botAuthorization('Bearer abc')).toBeNull();
    expect(botAuthorization(undefined)).toBeNull();
    expect(botAuthorization(['Bot a', 'Bot b'])).toBeNull();
  });
});

describe('webhook signatures', () => {
  it('is HMAC-SHA256 keyed with SHA-256(token) over "timestamp.body"', () => {
    const { token, hash } = issueBotToken(randomUUID());
    const body = '{"hello":"world"}';
    const key = createHash('sha256').update(token).digest();
    const expected = createHmac('sha256', key).update(`1700000000.${body}`).digest('hex');
    expect(webhookSignature(hash, 1700000000, body)).toBe(`sha256=${expected}`);
    expect(webhookSignature(hashBotToken(token), 1700000001, body)).not.toBe(`sha256=${expected}`);
  });
});
