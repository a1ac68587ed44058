import { describe, expect, it } from '@jest/globals';
import type { DiscoveryService } from '@nestjs/core';
import type { ProtocolContribution } from '../../common/asyncapi/protocol-docs.js';
import { AsyncApiService } from './asyncapi.service.js';

/** A discovery that counts its calls, finding the given provider instances. */
function discoveryOf(instances: unknown[]) {
  const calls = { n: 0 };
  const discovery = {
    getProviders: () => {
      calls.n++;
      return instances.map((instance) => ({ instance }));
    },
  } as unknown as DiscoveryService;
  return { discovery, calls };
}

const ping: ProtocolContribution = {
  clientEvents: [
    {
      event: 'ping',
      name: 'Ping',
      summary: 'Keeps the connection alive',
      data: { type: 'object', properties: {} },
      since: 'v1',
    },
  ],
};
const pong: ProtocolContribution = {
  serverEvents: [
    {
      event: 'pong',
      name: 'Pong',
      summary: 'Answers ping',
      data: { type: 'object', properties: { at: { type: 'string' } } },
      since: 'v1',
    },
  ],
};
const provider = (c: ProtocolContribution) => ({ protocolDocs: () => c });

describe('AsyncApiService', () => {
  it("documents the running modules' events, a provider shared by several modules once, for the host asked", () => {
    const shared = provider(ping);
    const { discovery } = discoveryOf([shared, shared, provider(pong), { unrelated: 1 }]);
    const doc = new AsyncApiService(discovery).document('chat.example:443') as {
      servers: Record<string, { host: string }>;
      components: { messages: Record<string, unknown> };
    };
    expect(Object.keys(doc.components.messages).sort()).toEqual(['Ping', 'Pong']);
    expect(Object.values(doc.servers).map((s) => s.host)).toContain('chat.example:443');
  });

  it('a module that is off adds nothing', () => {
    const { discovery } = discoveryOf([provider(ping)]);
    const doc = new AsyncApiService(discovery).document() as {
      components: { messages: Record<string, unknown> };
    };
    expect(Object.keys(doc.components.messages)).toEqual(['Ping']);
  });

  it('discovers the providers once: later documents reuse what the first collected', () => {
    const { discovery, calls } = discoveryOf([provider(ping), provider(pong)]);
    const service = new AsyncApiService(discovery);
    const first = service.document('a:1');
    const second = service.document('b:2');
    expect(calls.n).toBe(1);
    expect((first as { components: unknown }).components).toEqual(
      (second as { components: unknown }).components,
    );
  });
});
