import { randomUUID } from 'node:crypto';
import pg from 'pg';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of any shape; the tests assert on it
export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A thin fetch wrapper: JSON in, JSON out, never throws on a status. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of any shape; the tests assert on it
export async function http<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) {
    body = opts.rawBody;
    headers['content-type'] ??= 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep text */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

let counter = 0;
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${(counter++).toString(36)}${randomUUID().slice(0, 6)}`.slice(
    0,
    32,
  );
}

/** Factory: a fresh registered user (every test makes its own). */
export async function registerUser(
  baseUrl: string,
  overrides: Partial<{ username: string; email: string; password: string }> = {},
): Promise<TestUser> {
  const username = overrides.username ?? uniqueName('u');
  const email = overrides.email ?? `${username}@example.test`;
  const password = overrides.password ?? 'correct horse battery';
  const res = await http(baseUrl, 'POST', '/api/auth/register', {
    body: { username, email, password },
  });
  if (res.status !== 201)
    throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    id: res.body.user.id,
    username,
    email,
    password,
    accessToken: res.body.accessToken,
    refreshToken: res.body.refreshToken,
  };
}

/** Factory: a room owned by `owner`. */
export async function createRoom(
  baseUrl: string,
  owner: TestUser,
  opts: { isPrivate?: boolean; password?: string; name?: string; description?: string } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the room as answered
): Promise<any> {
  const body: Record<string, unknown> = {
    name: opts.name ?? uniqueName('room'),
    isPrivate: opts.isPrivate ?? false,
  };
  if (opts.password !== undefined) body.password = opts.password;
  if (opts.description !== undefined) body.description = opts.description;
  const res = await http(baseUrl, 'POST', '/api/rooms', { token: owner.accessToken, body });
  if (res.status !== 201)
    throw new Error(`create room failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function joinRoom(
  baseUrl: string,
  user: TestUser,
  roomId: string,
  password?: string,
): Promise<HttpResult> {
  return http(baseUrl, 'POST', `/api/rooms/${roomId}/join`, {
    token: user.accessToken,
    body: password === undefined ? {} : { password },
  });
}

// ---- helpers for the REST end-to-end suites ----

/** Asserts the contract's error body: {statusCode, error, message, code} plus a requestId. */
export function expectError(res: HttpResult, status: number, code?: string): void {
  const summary = `${res.status} ${JSON.stringify(res.body)}`;
  if (res.status !== status) throw new Error(`expected HTTP ${status}, got ${summary}`);
  const b = res.body as Record<string, unknown> | null;
  const ok =
    typeof b === 'object' &&
    b !== null &&
    b.statusCode === status &&
    typeof b.error === 'string' &&
    b.error.length > 0 &&
    (typeof b.message === 'string' ||
      (Array.isArray(b.message) && b.message.every((m) => typeof m === 'string'))) &&
    typeof b.code === 'string' &&
    typeof b.requestId === 'string' &&
    b.requestId.length > 0;
  if (!ok) throw new Error(`not a contract error body: ${summary}`);
  if (code !== undefined && b.code !== code)
    throw new Error(`expected code ${code}, got ${summary}`);
}

/** An error body's message as one string (it may be an array), for "names the field" checks. */
export function errorText(res: HttpResult): string {
  const m = (res.body as { message?: string | string[] } | null)?.message;
  return Array.isArray(m) ? m.join('; ') : String(m ?? '');
}

export async function login(
  baseUrl: string,
  loginName: string,
  password: string,
): Promise<HttpResult> {
  return http(baseUrl, 'POST', '/api/auth/login', { body: { login: loginName, password } });
}

/** Sends a message over REST; answers the raw result (status checked by the caller). */
export async function sendMessage(
  baseUrl: string,
  user: TestUser,
  roomId: string,
  body: { content: string; type?: string; clientMsgId?: string },
): Promise<HttpResult> {
  return http(baseUrl, 'POST', `/api/rooms/${roomId}/messages`, { token: user.accessToken, body });
}

/** Runs `fn` with a direct connection to the run's database (for checks the API cannot show). */
export async function withDb<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
