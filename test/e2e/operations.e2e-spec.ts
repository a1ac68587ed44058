import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import { coreEnv } from '../support/flags.js';
import {
  createRoom,
  expectError,
  http,
  registerUser,
  sendMessage,
  uniqueName,
  type HttpResult,
  type TestUser,
} from '../support/http.js';
import { WsTestClient } from '../support/ws-client.js';

/** Shared by the apps of this file, so a token from one is good on the other. */
const JWT_SECRET = `e2e-ops-${randomBytes(32).toString('base64url')}`;

/** The value of one sample line (`name` or `name{labels}`) in Prometheus text, or null. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return null;
}

/** Every REST operation of the contract, with what its OpenAPI entry must show. */
const CONTRACT: {
  method: string;
  path: string;
  body?: string;
  ok: [string, string | null];
  errors: string[];
  bearer: boolean;
  query?: string[];
}[] = [
  {
    method: 'post',
    path: '/api/auth/register',
    body: 'RegisterDto',
    ok: ['201', 'AuthResponseDto'],
    errors: ['400', '409', '429'],
    bearer: false,
  },
  {
    method: 'post',
    path: '/api/auth/login',
    body: 'LoginDto',
    ok: ['200', 'AuthResponseDto'],
    errors: ['400', '401', '429'],
    bearer: false,
  },
  {
    method: 'post',
    path: '/api/auth/refresh',
    body: 'RefreshTokenDto',
    ok: ['200', 'AuthResponseDto'],
    errors: ['400', '401', '429'],
    bearer: false,
  },
  {
    method: 'post',
    path: '/api/auth/logout',
    body: 'RefreshTokenDto',
    ok: ['204', null],
    errors: ['400', '401', '429'],
    bearer: false,
  },
  {
    method: 'post',
    path: '/api/auth/ws-ticket',
    ok: ['200', 'WsTicketDto'],
    errors: ['401', '429'],
    bearer: true,
  },
  {
    method: 'get',
    path: '/api/users/me',
    ok: ['200', 'UserDto'],
    errors: ['401', '429'],
    bearer: true,
  },
  {
    method: 'patch',
    path: '/api/users/me',
    body: 'UpdateMeDto',
    ok: ['200', 'UserDto'],
    errors: ['400', '401', '409', '429'],
    bearer: true,
  },
  {
    method: 'get',
    path: '/api/users/{id}',
    ok: ['200', 'PublicUserDto'],
    errors: ['400', '401', '404', '429'],
    bearer: true,
  },
  {
    method: 'get',
    path: '/api/users',
    ok: ['200', 'PublicUserPageDto'],
    errors: ['400', '401', '429'],
    bearer: true,
    query: ['q', 'limit', 'cursor'],
  },
  {
    method: 'post',
    path: '/api/rooms',
    body: 'CreateRoomDto',
    ok: ['201', 'RoomDto'],
    errors: ['400', '401', '409', '429'],
    bearer: true,
  },
  {
    method: 'get',
    path: '/api/rooms',
    ok: ['200', 'RoomPageDto'],
    errors: ['400', '401', '429'],
    bearer: true,
    query: ['q', 'limit', 'cursor'],
  },
  {
    method: 'get',
    path: '/api/rooms/{id}',
    ok: ['200', 'RoomDto'],
    errors: ['400', '401', '404', '429'],
    bearer: true,
  },
  {
    method: 'patch',
    path: '/api/rooms/{id}',
    body: 'UpdateRoomDto',
    ok: ['200', 'RoomDto'],
    errors: ['400', '401', '403', '404', '409', '429'],
    bearer: true,
  },
  {
    method: 'delete',
    path: '/api/rooms/{id}',
    ok: ['204', null],
    errors: ['400', '401', '403', '404', '429'],
    bearer: true,
  },
  {
    method: 'post',
    path: '/api/dms',
    body: 'OpenDirectRoomDto',
    ok: ['200', 'RoomDto'],
    errors: ['400', '401', '403', '404', '429'],
    bearer: true,
  },
  {
    method: 'post',
    path: '/api/rooms/{id}/invites',
    body: 'CreateInviteDto',
    ok: ['201', 'InviteDto'],
    errors: ['400', '401', '403', '404', '409', '429'],
    bearer: true,
  },
  {
    method: 'get',
    path: '/api/users/me/invites',
    ok: ['200', 'OpenInvitePageDto'],
    errors: ['400', '401', '429'],
    bearer: true,
    query: ['limit', 'cursor'],
  },
  {
    method: 'post',
    path: '/api/rooms/{id}/read',
    body: 'MarkReadDto',
    ok: ['204', null],
    errors: ['400', '401', '403', '404', '429'],
    bearer: true,
  },
  {
    method: 'get',
    path: '/api/users/me/rooms',
    ok: ['200', 'RoomListPageDto'],
    errors: ['400', '401', '429'],
    bearer: true,
    query: ['limit', 'cursor'],
  },
  {
    method: 'post',
    path: '/api/rooms/{id}/join',
    body: 'JoinRoomDto',
    ok: ['200', 'MembershipDto'],
    errors: ['400', '401', '403', '404', '429'],
    bearer: true,
  },
  {
    method: 'post',
    path: '/api/rooms/{id}/leave',
    ok: ['204', null],
    errors: ['400', '401', '403', '404', '409', '429'],
    bearer: true,
  },
  {
    method: 'get',
    path: '/api/rooms/{id}/members',
    ok: ['200', 'MembershipPageDto'],
    errors: ['400', '401', '403', '404', '429'],
    bearer: true,
    query: ['limit', 'cursor'],
  },
  {
    method: 'get',
    path: '/api/rooms/{id}/messages',
    ok: ['200', 'MessagePageDto'],
    errors: ['400', '401', '403', '404', '429'],
    bearer: true,
    query: ['afterSeq', 'beforeSeq', 'limit'],
  },
  {
    method: 'post',
    path: '/api/rooms/{id}/messages',
    body: 'SendMessageDto',
    ok: ['201', 'MessageDto'],
    errors: ['400', '401', '403', '404', '429'],
    bearer: true,
  },
  {
    method: 'get',
    path: '/api/features',
    ok: ['200', 'FeatureFlagsDto'],
    errors: ['429'],
    bearer: false,
  },
];

const ref = (name: string) => `#/components/schemas/${name}`;

describe('operations: health, metrics, features, OpenAPI, errors, request ids', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ JWT_SECRET });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('health', () => {
    it('GET /health/live: 200, no token needed', async () => {
      const res = await http(t.baseUrl, 'GET', '/health/live');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ok');
    });

    it('GET /health/ready: 200 with the database and the event bus up', async () => {
      const res = await http(t.baseUrl, 'GET', '/health/ready');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ok');
      expect(res.body.info.database.status).toBe('up');
      expect(res.body.info.bus.status).toBe('up');
      expect(res.body.error).toEqual({});
    });

    it('operational endpoints live outside /api', async () => {
      expectError(await http(t.baseUrl, 'GET', '/api/health/live'), 404, 'NOT_FOUND');
      expectError(await http(t.baseUrl, 'GET', '/api/metrics'), 404, 'NOT_FOUND');
    });

    it('unknown paths outside /api get the JSON error body too', async () => {
      for (const path of ['/nothing', '/health', '/metrics/x', '/ws/extra']) {
        const res = await http(t.baseUrl, 'GET', path);
        expectError(res, 404, 'NOT_FOUND');
        expect(res.headers.get('content-type')).toMatch(/application\/json/);
      }
    });
  });

  describe('GET /metrics', () => {
    it('Prometheus text with the HTTP, WebSocket and chat series', async () => {
      const res = await http(t.baseUrl, 'GET', '/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = res.body as string;
      expect(typeof text).toBe('string');
      expect(text).toContain('# TYPE http_request_duration_seconds histogram');
      expect(text).toContain('# TYPE ws_connections_open gauge');
      expect(text).toContain('# TYPE chat_messages_sent_total counter');
      expect(text).toContain('# TYPE chat_deliveries_total counter');
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    });

    it('the in-process bus lists no Kafka or outbox series (absent, not zeros)', async () => {
      const text = (await http(t.baseUrl, 'GET', '/metrics')).body as string;
      const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
      expect(names).toContain('chat_messages_sent_total');
      expect(names.filter((n) => /^kafka_|^chat_outbox_/.test(n))).toEqual([]);
    });

    it('the series move: request latency by route, open sockets, messages sent, deliveries', async () => {
      const scrape = async () => (await http(t.baseUrl, 'GET', '/metrics')).body as string;
      const u = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, u);
      const before = await scrape();
      const sentBefore = sample(before, 'chat_messages_sent_total') ?? 0;
      const deliveredBefore = sample(before, 'chat_deliveries_total') ?? 0;

      expect((await http(t.baseUrl, 'GET', '/api/features')).status).toBe(200);
      const ws = await WsTestClient.connect(t.wsUrl, { token: u.accessToken });
      try {
        await ws.request('room.subscribe', { roomId: room.id }, 'room.subscribed');
        expect((await sendMessage(t.baseUrl, u, room.id, { content: 'counted' })).status).toBe(201);
        await ws.waitForMessages(room.id, 1);
        const after = await scrape();
        expect(
          sample(after, 'http_request_duration_seconds_count', {
            method: 'GET',
            route: '/api/features',
            status: '200',
          }),
        ).toBeGreaterThanOrEqual(1);
        expect(
          sample(after, 'http_request_duration_seconds_count', {
            method: 'POST',
            route: '/api/rooms/:id/messages',
            status: '201',
          }),
        ).toBeGreaterThanOrEqual(1);
        expect(sample(after, 'ws_connections_open')).toBe(1);
        expect(sample(after, 'chat_messages_sent_total')).toBe(sentBefore + 1);
        expect(sample(after, 'chat_deliveries_total')).toBeGreaterThanOrEqual(deliveredBefore + 1);
      } finally {
        ws.close();
      }
    });
  });

  describe('GET /api/features', () => {
    it('public: the six enterprise flags, all off by default', async () => {
      const core = await startTestApp(coreEnv({ JWT_SECRET }));
      let res: HttpResult;
      try {
        res = await http(core.baseUrl, 'GET', '/api/features');
      } finally {
        await core.close();
      }
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        enableOrganizations: false,
        enableUserRoles: false,
        enableProxySystem: false,
        enableBotMessages: false,
        enableOnlineStatistics: false,
        enableAdvancedAdmin: false,
      });
    });
  });

  describe('OpenAPI', () => {
    let doc: HttpResult['body'];
    beforeAll(async () => {
      const res = await http(t.baseUrl, 'GET', '/docs-json');
      expect(res.status).toBe(200);
      doc = res.body;
    });

    it('/docs serves the Swagger UI as HTML', async () => {
      const res = await http(t.baseUrl, 'GET', '/docs');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(String(res.body)).toMatch(/swagger-ui/i);
    });

    it('/docs-json is an OpenAPI 3 document', () => {
      expect(typeof doc.openapi).toBe('string');
      expect(doc.openapi.startsWith('3.')).toBe(true);
      expect(doc.info.title).toEqual(expect.any(String));
      expect(doc.components.securitySchemes.bearer).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
    });

    it.each(CONTRACT.map((c) => [`${c.method.toUpperCase()} ${c.path}`, c] as const))(
      '%s: documented with its body, answer, errors and auth',
      (_name, c) => {
        const op = doc.paths[c.path]?.[c.method];
        expect(op).toBeDefined();
        if (c.body)
          expect(op.requestBody.content['application/json'].schema).toEqual({ $ref: ref(c.body) });
        else expect(op.requestBody).toBeUndefined();

        const [okStatus, okSchema] = c.ok;
        expect(op.responses[okStatus]).toBeDefined();
        if (okSchema)
          expect(op.responses[okStatus].content['application/json'].schema).toEqual({
            $ref: ref(okSchema),
          });

        for (const status of c.errors) expect(Object.keys(op.responses)).toContain(status);
        // Every error answer is documented with the one error schema.
        for (const [status, r] of Object.entries<{ content: Record<string, { schema: unknown }> }>(
          op.responses,
        )) {
          if (Number(status) >= 400)
            expect(r.content['application/json'].schema).toEqual({ $ref: ref('ErrorResponseDto') });
        }

        if (c.bearer) expect(op.security).toEqual([{ bearer: [] }]);
        else expect(op.security ?? []).toEqual([]);

        const params = (op.parameters ?? []) as { name: string; in: string; required?: boolean }[];
        if (c.path.includes('{id}'))
          expect(params).toContainEqual(
            expect.objectContaining({ name: 'id', in: 'path', required: true }),
          );
        for (const q of c.query ?? [])
          expect(params).toContainEqual(expect.objectContaining({ name: q, in: 'query' }));
      },
    );

    it('the operational endpoints are documented too', () => {
      for (const path of ['/health/live', '/health/ready', '/metrics'])
        expect(doc.paths[path]?.get).toBeDefined();
    });

    it('the bodies and answers carry the contract fields', () => {
      const s = doc.components.schemas;
      const props = (name: string) => Object.keys(s[name].properties).sort();
      expect(props('RegisterDto')).toEqual(['email', 'password', 'username']);
      expect(s.RegisterDto.required.sort()).toEqual(['email', 'password', 'username']);
      expect(props('LoginDto')).toEqual(['deviceToken', 'login', 'password']);
      expect(s.LoginDto.required.sort()).toEqual(['login', 'password']);
      expect(props('RefreshTokenDto')).toEqual(['refreshToken']);
      expect(props('UpdateMeDto')).toEqual(['avatarUrl', 'extensions', 'username']);
      // orgId is the organisations module's field: documented only when it is on.
      expect(props('CreateRoomDto')).toEqual(
        [
          'description',
          'isPrivate',
          'name',
          ...(process.env.FEATURE_ORGANIZATIONS === 'true' ? ['orgId'] : []),
          'password',
        ].sort(),
      );
      expect(s.CreateRoomDto.required.sort()).toEqual(['isPrivate', 'name']);
      expect(props('UpdateRoomDto')).toEqual([
        'description',
        'isPrivate',
        'name',
        'password',
        'retentionDays',
      ]);
      expect(props('JoinRoomDto')).toEqual(['password']);
      // onBehalfOf is the proxy module's field: documented only when it is on.
      expect(props('SendMessageDto')).toEqual(
        [
          'attachmentIds',
          'clientMsgId',
          'content',
          ...(process.env.FEATURE_PROXY_SYSTEM === 'true' ? ['onBehalfOf'] : []),
          'threadRootId',
          'type',
        ].sort(),
      );
      expect(s.SendMessageDto.required).toEqual(['content']);
      expect(props('AuthResponseDto')).toEqual([
        'accessToken',
        'deviceToken',
        'expiresIn',
        'refreshToken',
        'user',
      ]);
      expect(props('WsTicketDto')).toEqual(['expiresIn', 'ticket']);
      expect(props('UserDto')).toEqual([
        'avatarUrl',
        'createdAt',
        'email',
        'extensions',
        'id',
        'status',
        'updatedAt',
        'username',
      ]);
      expect(s.UserDto.properties.status.enum).toEqual(['active', 'disabled', 'banned']);
      expect(props('RoomDto')).toEqual(
        [
          'createdAt',
          'description',
          'id',
          'isPrivate',
          'kind',
          'lastEventSeq',
          'lastSeq',
          'memberCount',
          'name',
          ...(process.env.FEATURE_ORGANIZATIONS === 'true' ? ['orgId'] : []),
          'ownerId',
          'retentionDays',
          'updatedAt',
        ].sort(),
      );
      expect(props('MessageDto')).toEqual(
        [
          'attachments',
          'clientMsgId',
          'content',
          'createdAt',
          'deleted',
          'deletedAt',
          'editedAt',
          'id',
          'mentions',
          'reactions',
          'roomId',
          ...(process.env.FEATURE_PROXY_SYSTEM === 'true' ? ['sentBy'] : []),
          'seq',
          'thread',
          'threadRootId',
          'type',
          'userId',
          'username',
        ].sort(),
      );
      expect(s.MessageDto.properties.type.enum).toEqual(['text', 'system', 'bot']);
      for (const page of ['RoomPageDto', 'MembershipPageDto', 'MessagePageDto', 'RoomEventPageDto'])
        expect(props(page)).toEqual(['items', 'nextCursor']);
      expect(props('FeatureFlagsDto')).toEqual([
        'enableAdvancedAdmin',
        'enableBotMessages',
        'enableOnlineStatistics',
        'enableOrganizations',
        'enableProxySystem',
        'enableUserRoles',
      ]);
    });

    it('the error schema is the contract error body, and lists the codes the service answers with', () => {
      const e = doc.components.schemas.ErrorResponseDto;
      expect(Object.keys(e.properties).sort()).toEqual([
        'code',
        'error',
        'message',
        'requestId',
        'statusCode',
      ]);
      expect(e.required.sort()).toEqual(['code', 'error', 'message', 'statusCode']);
      // Codes this suite sees the service answer with over REST.
      for (const code of [
        'VALIDATION_FAILED',
        'MALFORMED_JSON',
        'PAYLOAD_TOO_LARGE',
        'AUTH_REQUIRED',
        'TOKEN_INVALID',
        'TOKEN_EXPIRED',
        'SESSION_REVOKED',
        'INVALID_CREDENTIALS',
        'USER_DISABLED',
        'REFRESH_TOKEN_INVALID',
        'REFRESH_TOKEN_REUSED',
        'USERNAME_TAKEN',
        'EMAIL_TAKEN',
        'ROOM_NOT_FOUND',
        'ROOM_NAME_TAKEN',
        'ROOM_PASSWORD_REQUIRED',
        'ROOM_PASSWORD_INVALID',
        'ROOM_JOIN_THROTTLED',
        'NOT_ROOM_MEMBER',
        'NOT_ROOM_OWNER',
        'OWNER_LAST_MEMBER',
        'CLIENT_MSG_ID_CONFLICT',
        'RATE_LIMITED',
        'NOT_FOUND',
      ]) {
        expect(e.properties.code.enum).toContain(code);
      }
    });
  });

  describe('errors and request ids', () => {
    let u: TestUser;
    beforeAll(async () => {
      u = await registerUser(t.baseUrl);
    });

    it('an unknown route or method under /api: 404 with the contract error body', async () => {
      for (const [method, path] of [
        ['GET', '/api/nope'],
        ['DELETE', '/api/users/me'],
        ['PUT', '/api/rooms'],
        ['POST', '/api/rooms/also/not/a/route'],
      ]) {
        const res = await http(t.baseUrl, method, path, { token: u.accessToken });
        expectError(res, 404, 'NOT_FOUND');
        expect(res.body.error).toBe('Not Found');
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      }
    });

    it('a body over 64 KiB: 413 with the contract error body', async () => {
      const res = await http(t.baseUrl, 'POST', '/api/auth/login', {
        body: { login: 'x'.repeat(70 * 1024), password: 'whatever' },
      });
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('every error body carries a requestId, the one in the X-Request-Id header', async () => {
      const room = await createRoom(t.baseUrl, u);
      const errors: HttpResult[] = [
        await http(t.baseUrl, 'POST', '/api/auth/register', { body: {} }), // 400
        await http(t.baseUrl, 'POST', '/api/auth/register', { rawBody: '{not json' }), // 400 MALFORMED_JSON
        await http(t.baseUrl, 'POST', '/api/auth/login', {
          body: { login: 'x'.repeat(70 * 1024), password: 'p' },
        }), // 413
        await http(t.baseUrl, 'GET', '/api/users/me'), // 401
        await http(t.baseUrl, 'GET', '/api/users/me', { token: 'garbage' }), // 401
        await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/members`, {
          token: (await registerUser(t.baseUrl)).accessToken,
        }), // 403
        await http(t.baseUrl, 'GET', '/api/rooms/00000000-0000-4000-8000-000000000000', {
          token: u.accessToken,
        }), // 404
        await http(t.baseUrl, 'GET', '/api/rooms/not-a-uuid', { token: u.accessToken }), // 400
        await http(t.baseUrl, 'POST', '/api/rooms', {
          token: u.accessToken,
          body: { name: room.name, isPrivate: false },
        }), // 409
        await http(t.baseUrl, 'GET', '/api/unknown'), // 404
      ];
      const statuses = errors.map((r) => r.status);
      expect(statuses).toEqual([400, 400, 413, 401, 401, 403, 404, 400, 409, 404]);
      const ids = new Set<string>();
      for (const res of errors) {
        expectError(res, res.status);
        expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
        ids.add(res.body.requestId);
      }
      expect(ids.size).toBe(errors.length);
    });

    it('an inbound X-Request-Id is echoed (and used in error bodies); an unsafe one is replaced', async () => {
      const id = `trace-${uniqueName('rq')}`;
      const ok = await http(t.baseUrl, 'GET', '/api/features', { headers: { 'x-request-id': id } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-request-id')).toBe(id);

      const err = await http(t.baseUrl, 'GET', '/api/users/me', {
        headers: { 'x-request-id': id },
      });
      expectError(err, 401, 'AUTH_REQUIRED');
      expect(err.headers.get('x-request-id')).toBe(id);
      expect(err.body.requestId).toBe(id);

      for (const unsafe of ['has spaces in it', 'x'.repeat(101), 'inject"quote']) {
        const res = await http(t.baseUrl, 'GET', '/api/users/me', {
          headers: { 'x-request-id': unsafe },
        });
        const echoed = res.headers.get('x-request-id');
        expect(echoed).not.toBe(unsafe);
        expect(echoed).toMatch(/^[A-Za-z0-9_.:-]{1,100}$/);
        expect(res.body.requestId).toBe(echoed);
      }

      const plain = await http(t.baseUrl, 'GET', '/health/live');
      expect(plain.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9_.:-]{1,100}$/);
    });

    it('browsers may read X-Request-Id and Retry-After (CORS exposes them)', async () => {
      const res = await http(t.baseUrl, 'GET', '/api/features', {
        headers: { origin: 'https://app.example.test' },
      });
      expect(res.status).toBe(200);
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase();
      expect(exposed).toContain('x-request-id');
      expect(exposed).toContain('retry-after');
    });
  });
});

describe('operations: HTTP rate limit (RATE_LIMIT_HTTP_PER_MIN=5)', () => {
  let main: TestApp;
  let limited: TestApp;
  beforeAll(async () => {
    main = await startTestApp({ JWT_SECRET });
    limited = await startTestApp({ JWT_SECRET, RATE_LIMIT_HTTP_PER_MIN: '5' });
  });
  afterAll(async () => {
    await limited.close();
    await main.close();
  });

  function expectRateLimited(res: HttpResult): void {
    expectError(res, 429, 'RATE_LIMITED');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  }

  it('per IP when anonymous: the 6th request in a minute is 429 with Retry-After; health and metrics are not counted', async () => {
    for (let i = 0; i < 5; i++)
      expect((await http(limited.baseUrl, 'GET', '/api/features')).status).toBe(200);
    expectRateLimited(await http(limited.baseUrl, 'GET', '/api/features'));
    expectRateLimited(
      await http(limited.baseUrl, 'POST', '/api/auth/login', {
        body: { login: 'someone', password: 'whatever1' },
      }),
    );
    for (const path of ['/health/live', '/health/ready', '/metrics']) {
      expect((await http(limited.baseUrl, 'GET', path)).status).toBe(200);
    }
  });

  it('per user when authenticated: one user is limited, another is not', async () => {
    // Registered on the unlimited app (same database and secret): no anonymous budget spent here.
    const [busy, calm] = await Promise.all([
      registerUser(main.baseUrl),
      registerUser(main.baseUrl),
    ]);
    const meOf = (user: TestUser) =>
      http(limited.baseUrl, 'GET', '/api/users/me', { token: user.accessToken });
    for (let i = 0; i < 5; i++) expect((await meOf(busy)).status).toBe(200);
    expectRateLimited(await meOf(busy));
    expectRateLimited(
      await http(limited.baseUrl, 'GET', '/api/rooms', { token: busy.accessToken }),
    );
    const other = await meOf(calm);
    expect(other.status).toBe(200);
    expect(other.body.id).toBe(calm.id);
  });
});
