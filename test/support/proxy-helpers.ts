// Helpers for the proxy module's suites (in-process e2e and cross-instance Kafka).
import { http, type HttpResult, type TestUser } from './http.js';
import type { Frame, WsTestClient } from './ws-client.js';

/** POST /api/proxies as `grantor`; answers the raw result. */
export function postGrant(
  baseUrl: string,
  grantor: TestUser,
  body: Record<string, unknown>,
): Promise<HttpResult> {
  return http(baseUrl, 'POST', '/api/proxies', { token: grantor.accessToken, body });
}

/** POST /api/proxies that must succeed: the grant as answered. */
export async function grantProxy(
  baseUrl: string,
  grantor: TestUser,
  body: Record<string, unknown>,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the grant as answered
): Promise<any> {
  const res = await postGrant(baseUrl, grantor, body);
  if (res.status !== 201)
    throw new Error(`grant failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** REST send with `onBehalfOf`; answers the raw result. */
export function sendAs(
  baseUrl: string,
  proxy: TestUser,
  roomId: string,
  onBehalfOf: string,
  content: string,
  extra: Record<string, unknown> = {},
): Promise<HttpResult> {
  return http(baseUrl, 'POST', `/api/rooms/${roomId}/messages`, {
    token: proxy.accessToken,
    body: { content, onBehalfOf, ...extra },
  });
}

/** WebSocket message.send with `onBehalfOf`; answers its ack or the error frame referring to it. */
export async function wsSendAs(
  client: WsTestClient,
  roomId: string,
  onBehalfOf: string | undefined,
  content: string,
  clientMsgId: string,
): Promise<Frame> {
  const from = client.frames.length;
  client.send('message.send', {
    roomId,
    content,
    clientMsgId,
    ...(onBehalfOf === undefined ? {} : { onBehalfOf }),
  });
  return client.waitFor(
    (f) =>
      (f.event === 'message.ack' && f.data?.clientMsgId === clientMsgId) ||
      (f.event === 'error' && f.data?.ref === clientMsgId),
    10_000,
    from,
  );
}
