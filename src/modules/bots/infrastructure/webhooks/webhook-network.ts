import { Inject, Injectable } from '@nestjs/common';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { DomainError, Errors } from '../../../../common/errors/domain-error.js';
import { botsConfig, type BotsConfig } from '../../bots.config.js';
import {
  assertAddressesAllowed,
  parseWebhookUrl,
  type WebhookTarget,
} from '../../domain/webhook-address.js';
import { BotErrorCodes } from '../../domain/bot-errors.js';

const DNS_TIMEOUT_MS = 5000;
const USER_AGENT = 'chat-backend-webhooks/1';

function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          Errors.validation(
            BotErrorCodes.webhookUrlRefused,
            `webhookUrl host ${host}: DNS timed out`,
          ),
        ),
      DNS_TIMEOUT_MS,
    );
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => {
      clearTimeout(timer);
      if (err)
        reject(
          Errors.validation(
            BotErrorCodes.webhookUrlRefused,
            `webhookUrl host ${host} does not resolve`,
          ),
        );
      else resolve(addresses);
    });
  });
}

export interface WebhookResult {
  status: number;
}

/**
 * The webhook's way out to the network, guarded against server-side request forgery: a URL is
 * checked when it is set and again on every delivery, and the delivery connects to exactly the
 * addresses that were checked (the check runs inside the socket's DNS lookup), so a name that
 * re-resolves to a private address afterwards (DNS rebinding) is refused too. No redirect is
 * followed; each request has a deadline.
 */
@Injectable()
export class WebhookNetwork {
  constructor(@Inject(botsConfig.KEY) private readonly cfg: BotsConfig) {}

  /** Validates a webhook URL as set by a user: syntax, then every address its host has. */
  async checkUrl(raw: string): Promise<void> {
    const target = parseWebhookUrl(raw);
    if (this.cfg.allowPrivate === 'all') return;
    const addresses = target.isLiteral
      ? [target.host]
      : (await resolveAll(target.host)).map((a) => a.address);
    assertAddressesAllowed(target.host, addresses, this.cfg.allowPrivate);
  }

  /** POSTs a JSON body; resolves with the status, rejects on refusal, network error or timeout. */
  async post(raw: string, body: string, headers: Record<string, string>): Promise<WebhookResult> {
    const target: WebhookTarget = parseWebhookUrl(raw);
    if (target.isLiteral && this.cfg.allowPrivate !== 'all')
      assertAddressesAllowed(target.host, [target.host], this.cfg.allowPrivate);
    const { url } = target;
    const transport = url.protocol === 'https:' ? https : http;
    const timeoutMs = this.cfg.timeoutMs;
    return new Promise<WebhookResult>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null, result?: WebhookResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (err) reject(err);
        else resolve(result!);
      };
      const req = transport.request(
        {
          method: 'POST',
          protocol: url.protocol,
          hostname: target.host,
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          agent: false, // a connection per delivery: nothing pooled across hosts
          lookup: target.isLiteral ? undefined : this.guardedLookup(),
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
            'user-agent': USER_AGENT,
            connection: 'close',
          },
        },
        (res) => {
          // Only the status matters; the body is read and dropped (a 3xx is not followed).
          res.resume();
          res.once('end', () => finish(null, { status: res.statusCode ?? 0 }));
          res.once('error', (err) => finish(err));
        },
      );
      const deadline = setTimeout(() => {
        const err = new Error(`timed out after ${timeoutMs} ms`);
        finish(err);
        req.destroy(err);
      }, timeoutMs);
      req.once('error', (err) => finish(err));
      req.end(body);
    });
  }

  /** A socket lookup that refuses the connection unless every address of the host is allowed. */
  private guardedLookup(): LookupFunction {
    const allowance = this.cfg.allowPrivate;
    return (hostname, options, callback) => {
      resolveAll(hostname)
        .then((addresses) => {
          if (allowance !== 'all')
            assertAddressesAllowed(
              hostname,
              addresses.map((a) => a.address),
              allowance,
            );
          const wanted =
            options.family === 4 || options.family === 6
              ? addresses.filter((a) => a.family === options.family)
              : addresses;
          if (wanted.length === 0)
            throw new Error(`no IPv${options.family} address for ${hostname}`);
          if (options.all) (callback as (e: null, a: LookupAddress[]) => void)(null, wanted);
          else callback(null, wanted[0].address, wanted[0].family);
        })
        .catch((err: unknown) => {
          const e: NodeJS.ErrnoException =
            err instanceof DomainError
              ? Object.assign(new Error(`${err.code}: ${err.message}`), { code: err.code })
              : err instanceof Error
                ? err
                : new Error(String(err));
          callback(e, '', 0);
        });
    };
  }
}
